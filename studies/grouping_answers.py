"""A grouping board's answer: the placements the page sends, checked, stored by option, scored.

The page (static/synlab/grouping.js) sends `placements` as JSON text: an object from each
item's screen position (0 = first, as `choice` counts) to the group number the participant
put it in (1 = "Group 1"). Every item of the board must be placed exactly once, in one of the
groups the board offers (TrialFacts.groups); anything else is refused with one sentence per
problem and nothing is stored. The stored answer maps option ids to group numbers and is
scored by the adjusted Rand index against the items' true groups (TrialOption.identity).
"""

import json

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analysis.grouping import adjusted_rand_index
from studies.forms import AnswerForm

MAX_PLACEMENTS_CHARS = 4000


class GroupingAnswerForm(AnswerForm):
    """A grouping answer: the trial, the placements (checked against the board later) and the
    same readings as any answer; no `choice`."""

    choice = None
    placements = forms.CharField(max_length=MAX_PLACEMENTS_CHARS, strip=False)

    def refusal(self) -> str:
        if "placements" in self.errors:
            return unreadable()
        return super().refusal()


def answer_form_for(fields) -> AnswerForm:
    """The form that reads these fields: a grouping answer carries placements."""
    return GroupingAnswerForm(fields) if "placements" in fields else AnswerForm(fields)


def unreadable() -> str:
    return _("Your groups could not be read. Please reload the page and sort the items again.")


class PlacementsError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def placements_by_position(text: str, *, n_items: int, n_groups: int) -> dict[int, int]:
    """Screen position -> group number, or PlacementsError with every problem."""
    duplicated: list[str] = []

    def pairs_once(pairs):
        keys = [key for key, _ in pairs]
        duplicated.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(pairs)

    try:
        sent = json.loads(text, object_pairs_hook=pairs_once)
    except (ValueError, RecursionError):
        raise PlacementsError([unreadable()]) from None
    if not isinstance(sent, dict):
        raise PlacementsError([unreadable()])
    problems = [
        _("Item %(key)s is placed more than once.") % {"key": shown(key)}
        for key in sorted(duplicated)
    ]
    placed: dict[int, int] = {}
    named: set[int] = set()
    for key, group in sent.items():
        position = item_position(key, n_items)
        named.add(position)
        if position is None:
            problems.append(_("There is no item %(key)s on this board.") % {"key": shown(key)})
        elif not is_group(group, n_groups):
            problems.append(
                _("Item %(n)d is in group %(group)s; this board has groups 1 to %(groups)d.")
                % {"n": position + 1, "group": str(group)[:20], "groups": n_groups}
            )
        else:
            placed[position] = group
    missing = [str(position + 1) for position in range(n_items) if position not in named]
    if missing:
        problems.append(
            ngettext(
                "Item %(items)s is not in a group yet.",
                "Items %(items)s are not in a group yet.",
                len(missing),
            )
            % {"items": ", ".join(missing)}
        )
    if problems:
        raise PlacementsError(problems)
    return placed


def item_position(key: str, n_items: int) -> int | None:
    """The screen position a key names (its decimal digits), or None when it names none."""
    if not (key.isascii() and key.isdigit()) or len(key) > 3:
        return None
    position = int(key)
    return position if position < n_items else None


def shown(key: str) -> str:
    """An item key as the participant reads it: position + 1, or the key itself (shortened)."""
    if key.isascii() and key.isdigit() and len(key) <= 3:
        return str(int(key) + 1)
    return repr(key[:20])


def is_group(value, n_groups: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= n_groups


def grouping_score(placements: dict[int, int], truth: dict[int, str]) -> float:
    """ARI of the placements (option id -> group) against the true groups (option id -> group)."""
    option_ids = sorted(truth)
    return adjusted_rand_index(
        [truth[option_id] for option_id in option_ids],
        [placements[option_id] for option_id in option_ids],
    )
