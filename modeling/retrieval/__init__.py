"""The retrieval family (Zeng, TNN-C-CCA): clip <-> picture retrieval through a shared space.

``image_features.py`` describes a picture by 41 colour, brightness and edge numbers (no
pretrained network exists offline); ``cluster_cca.py`` fits Cluster-CCA in closed form (beta
0.2, 10-d, regularisation 1e-4); ``model.py`` is the triplet network on top (10 -> 100 -> 100
-> 100 -> 10 per modality, tanh, dropout 0.1, batch-all cosine triplet loss with margin 0.5);
``metrics.py`` computes MAP; ``data.py`` reads the affect set for retrieval; ``train.py``
trains; ``evaluate.py`` reports MAP both ways beside Cluster-CCA alone and a random
projection; ``rank.py`` ranks pictures for a clip (inference only).
``python -m modeling.retrieval train|evaluate|rank`` (``cli.py``); ``runs.py`` declares the run
kind.
"""
