"""Pure PyTorch models and data for Synlab's studies; no Django here.

The common part, shared by every model family:

- ``loop.py``: the training loop (``train``, ``TrainConfig``, ``TrainData``), resumable, with
  progress callbacks, best-weights selection and divergence checks.
- ``checkpoint_io.py``: checkpoint files (kind, format version, config dict, weights, provenance)
  and the registry of model kinds that ``load_model`` rebuilds. The committed weights live in
  ``weights/``, their model cards in ``cards/``.
- ``device.py``: where models run. ``gaussian.py``: the KL of a diagonal Gaussian from N(0, I).
- ``metrics.py``: MSE, Precision@k, accuracy, the MINE mutual-information bound.
- ``data/``: encodings and importers (melody tokens, the music21 corpus, image sets).
- ``render.py``: MIDI -> audio and piano rolls; melody -> stimulus clip; pixels -> PNG.

One package per model family, each with model files (a Config dataclass, an ``nn.Module`` with
explicit encode/decode, a documented loss), ``train.py`` (a script around the shared loop),
``evaluate.py``, ``generate.py`` (inference and stimulus generation, never importing training
code) and ``python -m modeling.<family> train|evaluate|generate``:

- ``synvae/``: MusicVAE, VisVAE and the SynVAE (images -> melodies -> images).
- ``vis2mus/`` (issue 11): the chord/texture disentangled VAE over 2-bar polyphonic segments,
  brightness / contrast transformations applied alike to images and to its texture feature
  map, music style transfer, and the measured equivariance
  (``python -m modeling.vis2mus equivariance``).

- ``chronology/`` (issue 12): music and image features and the chronological triplet network
  (image and music branches into one 128-d embedding, triplets by year distance), evaluated with
  Precision@K / AD@K against a shuffled-year baseline.
- ``affect/`` (issue 13): the 193-d librosa music vector (``python -m modeling.affect
  features``) and ACP-Net, the image/music affective correspondence classifier.
- ``retrieval/`` (issue 13): Cluster-CCA followed by a triplet network, cross-modal retrieval
  scored by MAP in both directions.

Every family's run kinds are listed in ``runs.FAMILY_RUN_MODULES``: the `gpu` queue workers
train them as model runs.
"""
