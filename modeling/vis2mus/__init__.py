"""The Vis2Mus family (Zhang, Xia et al.): images as handles on music through the chord/texture
disentangled VAE.

``data.py`` makes 2-bar polyphonic segments (texture roll 32 x 128 with durations at onsets,
chords 8 beats x 36) from music21's corpus and a generated accompaniment set; ``model.py`` is
the chord/texture VAE (Poly-dis shapes, a Config with tiny / cpu_demo / published sizes, its
loss); ``transforms.py`` holds brightness and contrast, the same on an image and on the texture
feature map; ``style.py`` puts a sketch in a style image's colours and textures with no
pretrained network (Lab colour transfer + random-filter Gram statistics); ``presets.py`` says
how much to train; ``train.py`` trains with the shared loop; ``evaluate.py`` measures
reconstruction, chords, the swap test and the equivariance; ``generate.py`` decodes
(reconstruction, transformations, style transfer; inference only: never imports training
code). ``python -m modeling.vis2mus train|evaluate|generate|equivariance|style`` (``cli.py``);
``runs.py`` declares the run kind.
"""
