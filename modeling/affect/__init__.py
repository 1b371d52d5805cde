"""The affect family (Verma et al., IMAC / ACP-Net): does a clip fit a picture emotionally?

``features.py`` computes the 193-d music vector (librosa: 40 MFCC, 12 chroma, 128 mel, 7
spectral contrast, 6 tonnetz, means over frames); ``generated.py`` (with
``generated_music.py`` and ``generated_images.py``) makes the generated affect set, synthesised
clips and drawn pictures whose positive / neutral / negative labels are planted recipes, not
emotion data; ``model.py`` is ACP-Net (image branch and music branch to 1024-d, fusion layers,
a binary correspondence output, per-modality emotion probes); ``pairs.py`` builds balanced
picture-clip pairs; ``presets.py`` says how much to train; ``train.py`` trains with the shared
loop and ``probes.py`` fits the emotion probes; ``evaluate.py`` measures held-out pairs;
``score.py`` scores a pair and ranks pictures for a clip (inference only).
``python -m modeling.affect features|generate-set|train|evaluate|score|rank`` (``cli.py``);
``runs.py`` declares the run kind.
"""
