"""A researcher setting up a Vis2Mus study is told, one sentence each, what is wrong with it."""

import json
import random

import numpy as np
import pytest

from modeling.vis2mus import anchors, stimuli
from studies import services
from studies.designs import DesignError, design_for
from studies.errors import InvalidInput

TRANSFORMATION_KINDS = ("vis2mus_brightness", "vis2mus_contrast")


def refusal(kind: str, **values) -> list[str]:
    with pytest.raises(DesignError) as refused:
        design_for(kind).Params.from_dict(values)
    return refused.value.problems


@pytest.mark.parametrize("kind", TRANSFORMATION_KINDS)
@pytest.mark.parametrize(
    ("values", "sentence"),
    [
        ({"n_anchors": 0}, "n_anchors must be a whole number from 1 to 12"),
        ({"n_anchors": 13}, "n_anchors must be a whole number from 1 to 12"),
        ({"n_anchors": "6"}, "n_anchors must be a whole number from 1 to 12"),
        ({"n_anchors": True}, "n_anchors must be a whole number from 1 to 12"),
        ({"strength": 0}, "strength must be a number greater than 0 and at most 1"),
        ({"strength": -0.5}, "strength must be a number greater than 0 and at most 1"),
        ({"strength": 1.01}, "strength must be a number greater than 0 and at most 1"),
        ({"strength": float("nan")}, "strength must be a number greater than 0 and at most 1"),
        ({"strength": "0.5"}, "strength must be a number greater than 0 and at most 1"),
        ({"strength": True}, "strength must be a number greater than 0 and at most 1"),
        ({"checkpoint": ""}, "checkpoint must be a path"),
        ({"checkpoint": 3}, "checkpoint must be a path"),
        ({"model_run": 0}, "model_run must be the id of a model run"),
        ({"model_run": "7"}, "model_run must be the id of a model run"),
        ({"model_run": 2**63}, "model_run must be the id of a model run"),
        ({"tool_after_debrief": "yes"}, "tool_after_debrief must be true or false"),
        ({"tool_after_debrief": 1}, "tool_after_debrief must be true or false"),
        (
            {"colour": "red"},
            "Unknown design parameter 'colour'; this kind takes checkpoint, model_run, "
            "tool_after_debrief, n_anchors, strength, pictures, music.",
        ),
        (
            {"n_anchors": 2, "pictures": "photo/coffee"},
            "pictures must be a list of 2 anchor keys like 'photo/...'.",
        ),
        ({"n_anchors": 2, "pictures": ["photo/coffee"]}, "pictures must name 2 anchors, not 1."),
        (
            {"n_anchors": 2, "pictures": ["photo/coffee", "photo/coffee"]},
            "pictures names photo/coffee more than once.",
        ),
        (
            {"n_anchors": 1, "pictures": ["photo/unicorn"]},
            "There is no picture 'photo/unicorn'.",
        ),
        ({"n_anchors": 1, "music": ["texture/99"]}, "There is no music anchor 'texture/99'."),
        (
            {"n_anchors": 1, "pictures": ["sketch/horse"]},
            "'sketch/horse' is a sketch; photo anchors are wanted here.",
        ),
        (
            {"n_anchors": 1, "music": ["melody/2"]},
            "'melody/2' is a melody; texture anchors are wanted here.",
        ),
    ],
)
def test_transformation_parameters_are_refused_with_their_sentence(kind, values, sentence):
    assert refusal(kind, **values) == [sentence]


@pytest.mark.parametrize(
    ("values", "sentence"),
    [
        ({"n_sets": 0}, "n_sets must be a whole number from 1 to 3"),
        ({"n_sets": 4}, "n_sets must be a whole number from 1 to 3"),
        ({"style_iterations": 0}, "style_iterations must be a whole number from 1 to 300"),
        ({"style_iterations": 301}, "style_iterations must be a whole number from 1 to 300"),
        (
            {"strength": 0.5},
            "Unknown design parameter 'strength'; this kind takes checkpoint, model_run, "
            "tool_after_debrief, n_sets, style_iterations, sketches, melodies, style_images, "
            "accompaniments.",
        ),
        ({"tool_after_debrief": None}, "tool_after_debrief must be true or false"),
        (
            {"n_sets": 1, "sketches": ["photo/cat", "sketch/horse"]},
            "'photo/cat' is a photo; sketch anchors are wanted here.",
        ),
        (
            {"n_sets": 1, "melodies": ["melody/0", "texture/1"]},
            "'texture/1' is a texture; melody anchors are wanted here.",
        ),
        (
            {"n_sets": 1, "style_images": ["photo/cat", "photo/dog"]},
            "There is no picture 'photo/dog'.",
        ),
        (
            {"n_sets": 2, "accompaniments": ["accompaniment/0", "accompaniment/1"]},
            "accompaniments must name 4 anchors, not 2.",
        ),
    ],
)
def test_style_parameters_are_refused_with_their_sentence(values, sentence):
    assert refusal("vis2mus_style", **values) == [sentence]


def test_good_parameters_are_stored_with_their_defaults():
    params = design_for("vis2mus_brightness").Params.from_dict(
        {"n_anchors": 2, "pictures": ["photo/coffee", "photo/cat"], "tool_after_debrief": True}
    )
    assert params.to_dict() == {
        "checkpoint": "modeling/weights/vis2mus_cpu_demo.pt",
        "tool_after_debrief": True,
        "n_anchors": 2,
        "strength": 0.5,
        "pictures": ["photo/coffee", "photo/cat"],
    }
    style = design_for("vis2mus_style").Params.from_dict({})
    assert (style.n_sets, style.style_iterations, style.tool_after_debrief) == (2, 60, False)


@pytest.mark.django_db
def test_the_researcher_api_path_refuses_a_bad_study_before_storing_it():
    with pytest.raises(InvalidInput) as refused:
        services.study_create(
            name="too strong", kind="vis2mus_contrast", design_params={"strength": 2}
        )
    assert refused.value.problems == ["strength must be a number greater than 0 and at most 1"]


# ----- anchors that cannot be used -------------------------------------------------------------


@pytest.fixture
def damaged_anchors(tmp_path, monkeypatch):
    """The committed music anchors, with texture/0 silenced and texture/1's chords removed (as
    a careless rebuild of the anchor file might leave them)."""
    with np.load(anchors.ANCHOR_FILE, allow_pickle=False) as data:
        rolls, chords, meta = data["rolls"].copy(), data["chords"].copy(), data["meta"]
    keys = [item["key"] for item in json.loads(str(meta))["anchors"]]
    rolls[keys.index("texture/0")] = 0
    chords[keys.index("texture/1")] = 0
    path = tmp_path / "damaged.npz"
    np.savez(path, rolls=rolls, chords=chords, meta=meta)
    monkeypatch.setattr(stimuli, "music_anchor", lambda key: anchors.music_anchor(key, path=path))
    monkeypatch.setattr(
        stimuli, "music_anchors", lambda role: anchors.music_anchors(role, path=path)
    )
    return path


def test_a_silent_or_chordless_anchor_is_refused_by_name(damaged_anchors):
    assert refusal("vis2mus_brightness", n_anchors=2, music=["texture/0", "texture/1"]) == [
        "The music anchor 'texture/0' cannot be used: the segment is silent: it has no note to "
        "transform.",
        "The music anchor 'texture/1' cannot be used: the segment has no chord on any beat.",
    ]


def test_the_seeded_choice_leaves_unusable_anchors_out(damaged_anchors):
    for seed in range(20):
        chosen = stimuli.choose_keys(role="texture", count=10, given=None, rng=random.Random(seed))
        assert not {"texture/0", "texture/1"} & set(chosen)
    with pytest.raises(stimuli.StimulusError, match="Only 10 texture anchors can be used; 11"):
        stimuli.choose_keys(role="texture", count=11, given=None, rng=random.Random(0))
