"""Importing data sets researchers already have (WikiArt, MAESTRO, IMAC, BAM, a generic CSV).

- `formats`: Django-free reading of each format's metadata into one `RowResult` per row
  (the item it describes, or the one-sentence reason it is refused);
- `media`: Django-free cutting of audio into fixed clips and resizing of images, hashed;
- `services.import_batch_create`: reads, cuts and stores one import as an ImportBatch with
  its ImportedItems (all or nothing: a crash leaves no row and no file);
- `selectors`: what study kinds read (`imported_items`, `batch_problems`, `item_media`).

The formats, their columns and the settings are described in docs/importing.md.
"""
