"""The answer reply's trial markup comes from a rendered layout with the participant's links,
the trial's number and id filled in. Whatever the trial type, language or participant, it must
be the markup a direct render of templates/participant/trial_screen.html gives."""

import uuid

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from studies.screen_markup import rendered_layout, trial_screen_html
from studies.selectors import WORDED, ScreenOption, ScreenStimulus, TrialScreen


def link(n: int) -> str:
    return f"/p/tok{n}/m/{uuid.uuid4().hex}{n:016d}"


def picture(n: int, description: str = "A red square") -> ScreenStimulus:
    return ScreenStimulus(kind="image", url=link(n), description=description, width=256, height=256)


def clip(n: int) -> ScreenStimulus:
    return ScreenStimulus(kind="audio", url=link(n), description="")


def option(stimulus: ScreenStimulus, position: int) -> ScreenOption:
    return ScreenOption(
        kind=stimulus.kind,
        url=stimulus.url,
        description=stimulus.description,
        width=stimulus.width,
        height=stimulus.height,
        position=position,
        number=position + 1,
    )


def worded(label: str, position: int) -> ScreenOption:
    return ScreenOption(
        kind=WORDED, url="", description="", label=label, position=position, number=position + 1
    )


def screen_of(trial_type: str, *, number: int, total: int = 20) -> TrialScreen:
    """One screen of each kind, with fresh links (each call is another participant)."""
    audio_options = tuple(option(clip(n), n) for n in range(3))
    layouts = {
        "image_to_audio": (picture(9), audio_options, ()),
        "audio_to_image": (
            clip(9),
            tuple(option(picture(n, f"Picture {n}"), n) for n in range(3)),
            (),
        ),
        "audio_to_audio": (clip(9), audio_options, ()),
        "pair_judgement": (clip(9), (worded("Yes", 0), worded("No", 1)), (picture(8),)),
        "transformation": (picture(9), audio_options[:2], (picture(7), clip(8))),
        "style_fusion": (picture(9), audio_options, (picture(5), clip(6), picture(7), clip(8))),
        "grouping": (clip(9), audio_options, ()),
    }
    prompt, options, references = layouts[trial_type]
    return TrialScreen(
        index=number - 1,
        number=number,
        total=total,
        trial=str(uuid.uuid4()),
        trial_type=trial_type,
        prompt=prompt,
        options=options,
        prefetch=(link(99),),
        references=references,
        groups=2 if trial_type == "grouping" else 0,
        groups_told=trial_type == "grouping",
    )


TRIAL_TYPES = [
    "image_to_audio",
    "audio_to_image",
    "audio_to_audio",
    "pair_judgement",
    "transformation",
    "style_fusion",
    "grouping",
]


@pytest.mark.parametrize("trial_type", TRIAL_TYPES)
@pytest.mark.parametrize("language", ["en", "de"])
def test_every_participant_gets_the_markup_a_direct_render_gives(trial_type, language):
    rendered_layout.cache_clear()
    with translation.override(language):
        for number in (1, 2, 17):  # the first participant fills the layout, the rest reuse it
            screen = screen_of(trial_type, number=number)
            expected = render_to_string("participant/trial_screen.html", {"screen": screen})
            assert trial_screen_html(screen) == expected
    assert rendered_layout.cache_info().hits >= 2


def test_a_screen_carries_only_its_own_participants_links():
    first, second = screen_of("image_to_audio", number=3), screen_of("image_to_audio", number=3)
    for mine, other in ((first, second), (second, first)):  # the second reuses the layout
        html = trial_screen_html(mine)
        assert all(option.url in html for option in mine.options) and mine.prompt.url in html
        assert other.prompt.url not in html and other.trial not in html
        assert not any(option.url in html for option in other.options)
        assert "@@synlab-" not in html and mine.trial in html


def test_the_same_layout_in_another_language_is_rendered_in_that_language():
    screen = screen_of("audio_to_image", number=4)
    with translation.override("en"):
        english = trial_screen_html(screen)
    with translation.override("de"):
        german = trial_screen_html(screen)
    assert "Task 4 of 20" in english and "Task 4 of 20" not in german
