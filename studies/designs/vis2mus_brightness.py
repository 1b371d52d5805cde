"""Vis2Mus brightness test: does music made brighter on the texture feature map sound like a
picture made brighter?

Preview: the anchor pairs (a photo and a 2-bar texture). Test: two trials per anchor, its photo
made brighter (+strength) and darker (-strength), each with the anchor pair for reference and
two clips, the music transformed the same way (correct) and the opposite way; chance 1/2,
condition "brightness". The shared code is in vis2mus_common.py.
"""

from studies.designs.vis2mus_common import (
    TransformationParams,
    transformation_build,
    transformation_prepare,
)
from studies.models import Study
from studies.stimuli import StimulusStore

KIND = "vis2mus_brightness"
LABEL = "Vis2Mus brightness test (image and music made brighter)"
TRANSFORMATION = "brightness"
Params = TransformationParams


def prepare(*, study: Study) -> dict:
    """On the `gpu` queue: choose the anchors, decode their music at 0, +a and -a."""
    params = Params.from_dict(study.design_params)
    return transformation_prepare(study=study, params=params, name=TRANSFORMATION)


def build(*, study: Study, prepared: dict, store: StimulusStore):
    """On the `cpu` queue: render the clips and pictures, plan the preview and the trials."""
    return transformation_build(prepared=prepared, store=store)
