"""Vis2Mus style test: does a melody fused with an accompaniment sound like a sketch drawn in
the style of a picture?

Each set holds two sketch/melody pairs (A1, A2) and two photo/accompaniment pairs (B1, B2),
all shown in the preview. A test trial shows the set's pairs for reference, sketch Ai in the
style of photo Bj, and the set's four fused pieces (every melody with every accompaniment);
the correct one is melody i with accompaniment j. Four trials per set, chance 1/4, condition
"style". The shared code is in vis2mus_common.py.
"""

from studies.designs.vis2mus_common import StyleParams, style_build, style_prepare
from studies.models import Study
from studies.stimuli import StimulusStore

KIND = "vis2mus_style"
LABEL = "Vis2Mus style test (sketch in a picture's style, melody in an accompaniment's)"
Params = StyleParams


def prepare(*, study: Study) -> dict:
    """On the `gpu` queue: choose each set's anchors and fuse its melodies and accompaniments."""
    return style_prepare(study=study, params=Params.from_dict(study.design_params))


def build(*, study: Study, prepared: dict, store: StimulusStore):
    """On the `cpu` queue: render the clips, make the fused pictures, plan preview and trials."""
    return style_build(prepared=prepared, store=store, seed=study.seed)
