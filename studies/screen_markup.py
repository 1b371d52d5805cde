"""The trial screen's markup for the answer reply, rendered once per screen layout and reused.

Rendering templates/participant/trial_screen.html was the largest cost of an answer. What
changes from one participant to the next is only the links (signed per participant and place),
the trial's number, the list's length and the trial's id; the rest of the markup depends on the
trial, the option order and the language. So the screen is rendered once with numbered
placeholders in those places, kept in this process, and each reply fills the placeholders in.
The result is the markup a direct render gives (tests/studies/test_screen_markup.py compares
the two for every trial type).
"""

import re
from dataclasses import replace
from functools import lru_cache

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import get_language

from studies.selectors import ScreenStimulus, TrialScreen

FILLED = re.compile(r"@@synlab-(\d+)@@")
LAYOUTS_KEPT = 2048  # a few studies' trials x option orders x languages


def trial_screen_html(screen: TrialScreen) -> str:
    """The markup trial_screen.html gives for `screen` (rendered afresh while DEBUG is on, so
    an edited template shows at once)."""
    if settings.DEBUG:
        return render_to_string("participant/trial_screen.html", {"screen": screen})
    layout, values = layout_of(screen)
    markup = rendered_layout(layout, get_language())
    return FILLED.sub(lambda match: values[int(match.group(1))], markup)


def layout_of(screen: TrialScreen) -> tuple[TrialScreen, list[str]]:
    """The screen with placeholders where participants differ, and the escaped values."""
    values: list[str] = []

    def placeholder(value) -> str:
        values.append(escape(value))
        return f"@@synlab-{len(values) - 1}@@"

    def linked(stimulus: ScreenStimulus) -> ScreenStimulus:
        return replace(stimulus, url=placeholder(stimulus.url)) if stimulus.url else stimulus

    layout = replace(
        screen,
        index=0,
        number=placeholder(screen.number),
        total=placeholder(screen.total),
        trial=placeholder(screen.trial),
        prompt=linked(screen.prompt),
        options=tuple(linked(option) for option in screen.options),
        references=tuple(linked(reference) for reference in screen.references),
        prefetch=(),
    )
    return layout, values


@lru_cache(maxsize=LAYOUTS_KEPT)
def rendered_layout(layout: TrialScreen, language: str | None) -> str:
    return render_to_string("participant/trial_screen.html", {"screen": layout})
