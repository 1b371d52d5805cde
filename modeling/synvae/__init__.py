"""The SynVAE family (Müller-Eberstein & van Noord): images -> melodies -> images.

Model files (each a Config dataclass, an ``nn.Module`` and its loss):
``musicvae.py`` (2-bar melody MusicVAE), ``visvae.py`` (visual beta-VAE), ``model.py`` (the
SynVAE joining them through a frozen MusicVAE) and ``classifier.py`` (the evaluator of the
accuracy metric). ``presets.py`` says how much to train each; ``train.py`` trains them with the
shared loop (``modeling.loop``); ``evaluate.py`` measures the paper's Table 1 and
``evaluate_music.py`` a MusicVAE on held-out works (``melody_stats.py``: melodies against the
corpus); ``selection.py`` and ``generate.py`` make study stimuli and ``reconstruct.py`` gives
anyone images through music (inference only: never import training code); ``gpu_train.py`` is
the prepared GPU run. ``python -m modeling.synvae train|evaluate|generate|reconstruct``
(``cli.py``).
"""
