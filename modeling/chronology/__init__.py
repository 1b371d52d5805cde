"""The chronology family (Nguyen; after Hasenfus, Martindale & Birnbaum 1983): a triplet
network that places music and images made at the same time close together.

- ``years.py``: dates as people write them ("c. 1665", "1501-1503", "1890s") -> (year,
  uncertainty), for importers;
- ``scores.py``, ``music_features.py``: notes from music21 scores and MIDI files, clips, and
  90 score features; a log-mel front end and 132 audio features for imported audio;
- ``image_features.py``: 49 colour, edge and texture features, or pixels for a small CNN;
  ``backbone.py``: VGG-16 features, only from weights on disk;
- ``corpus.py``: the offline corpus (music21's art music, dated through
  ``modeling.data.composers``; music only), ``synthetic.py``: generated music and images with
  or without a planted year signal, ``data.py``: dated items split by work;
- ``model.py``: the network (a Config with tiny / cpu_demo / published sizes, unit-norm or
  free embedding) and the triplet loss; ``triplets.py``: triplets by year windows;
- ``metrics.py``, ``evaluate.py``: P@K, AD@K and year-regression MAE in every direction,
  each against a shuffled-year baseline with a permutation p-value; ``plot.py``: the PCA plot;
- ``train.py``, ``presets.py``: training with the shared loop; ``generate.py``: embeddings,
  nearest neighbours and distractor choice (inference only); ``runs.py``: the run kind.

``python -m modeling.chronology train|evaluate|corpus|generated|features`` (``cli.py``).
"""
