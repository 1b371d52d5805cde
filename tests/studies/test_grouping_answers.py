"""A participant sends a grouping board: checked, scored by the adjusted Rand index, stored once."""

import json
import re

import pytest
from django.test import Client

from studies.models import Participant, Response
from tests.studies.bots import Bot
from tests.studies.grouping_fixtures import PERIOD_YEARS, picture_board_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def board_study():
    return picture_board_study(n_groups=2, items_per_group=3)


def send(bot: Bot, html: str, placements, *, choice=None):
    """The page's script: the answer as JSON, placements as JSON text."""
    fields = {"trial": bot.trial_on(html), "rt_ms": 20000, "plays": 0, "heard_to_end": True}
    if placements is not None:
        fields["placements"] = placements if isinstance(placements, str) else json.dumps(placements)
    if choice is not None:
        fields["choice"] = choice
    return bot.client.post(
        f"/p/{bot.token}/answer", json.dumps(fields), content_type="application/json"
    )


def true_numbers(bot: Bot, html: str) -> list[int]:
    """The true groups as group numbers, in screen order (a participant who knows)."""
    truth = bot.board_truth(html)
    numbers = {label: n for n, label in enumerate(dict.fromkeys(truth), start=1)}
    return [numbers[label] for label in truth]


def test_the_board_shows_every_item_with_its_own_link_and_no_group(board_study):
    bot = Bot(client=Client(), study_slug=board_study.slug)
    html = bot.reach_first_trial()
    assert 'data-trial-type="grouping"' in html and 'data-groups="2"' in html
    assert html.count('class="item-handle"') == 6
    media = bot.fetch_media(html)
    assert len(media) == 6  # the prompt is one of the items, never shown apart
    shown = re.sub(r'(src|href|value|id|data-[a-z-]+)="[^"]*"', "", html.split("<main")[1])
    years = [str(year + n) for year in PERIOD_YEARS.values() for n in range(3)]
    for word in (*PERIOD_YEARS, *years):
        assert word not in shown


def test_a_perfect_grouping_is_stored_once_with_its_placements_and_an_ari_of_one(board_study):
    bot = Bot(client=Client(), study_slug=board_study.slug)
    html = bot.reach_first_trial()
    groups = true_numbers(bot, html)
    first = send(bot, html, {str(p): g for p, g in enumerate(groups)})
    again = send(bot, html, {str(p): g for p, g in enumerate(groups)})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"next": None, "redirect": f"/p/{bot.token}/"}
    (answer,) = Response.objects.filter(participant__token=bot.token)
    assert answer.chosen is None and answer.score == 1.0 and answer.is_correct
    assert sorted(answer.placements.values()) == sorted(groups)
    identity = dict(answer.trial.options.values_list("pk", "identity"))
    together = {}
    for option_id, group in answer.placements.items():
        together.setdefault(group, set()).add(identity[int(option_id)])
    assert all(len(labels) == 1 for labels in together.values())
    assert Participant.objects.get(token=bot.token).stage == Participant.Stage.DONE


def test_a_grouping_that_splits_the_periods_scores_below_one(board_study):
    bot = Bot(client=Client(), study_slug=board_study.slug)
    html = bot.reach_first_trial()
    groups = true_numbers(bot, html)
    swapped = list(groups)
    first_a, first_b = groups.index(1), groups.index(2)
    swapped[first_a], swapped[first_b] = 2, 1
    assert bot.answer_grouping(html, swapped).status_code == 302
    (answer,) = Response.objects.filter(participant__token=bot.token)
    # Truth {a,b,c}{d,e,f}, placed {d,b,c}{a,e,f}: pairs together in both 2, expected
    # 6 * 6 / 15 = 2.4, most 6: ARI = (2 - 2.4) / (6 - 2.4) = -1/9.
    assert answer.score == pytest.approx(-1 / 9) and not answer.is_correct


@pytest.mark.parametrize(
    ("placements", "reasons"),
    [
        ({"0": 1, "1": 1, "2": 2, "3": 2, "4": 1}, ["Item 6 is not in a group yet."]),
        ({"0": 1, "1": 1, "2": 2}, ["Items 4, 5, 6 are not in a group yet."]),
        (
            {"0": 1, "1": 1, "2": 2, "3": 2, "4": 1, "5": 2, "6": 1},
            ["There is no item 7 on this board."],
        ),
        (
            {"0": 1, "1": 3, "2": 2, "3": 2, "4": 1, "5": 0},
            [
                "Item 2 is in group 3; this board has groups 1 to 2.",
                "Item 6 is in group 0; this board has groups 1 to 2.",
            ],
        ),
        (
            '{"0": 1, "1": 1, "2": 2, "3": 2, "4": 1, "5": 2, "5": 1}',
            ["Item 6 is placed more than once."],
        ),
        ({"0": 1, "1": 1, "2": 2, "3": 2, "4": 1, "x": 2}, ["There is no item 'x' on this board."]),
        ("[1, 1, 2, 2, 1, 2]", ["Your groups could not be read."]),
        ("{not json", ["Your groups could not be read."]),
        ({"0": 1, "1": 1, "2": 2, "3": 2, "4": 1, "5": "2"}, ["Item 6 is in group 2;"]),
    ],
)
def test_bad_placements_are_refused_with_the_reason_and_nothing_is_stored(
    board_study, placements, reasons
):
    bot = Bot(client=Client(), study_slug=board_study.slug)
    html = bot.reach_first_trial()
    reply = send(bot, html, placements)
    assert reply.status_code == 400
    for reason in reasons:
        assert reason in reply.json()["error"]
    assert not Response.objects.filter(participant__token=bot.token).exists()
    assert Participant.objects.get(token=bot.token).stage == Participant.Stage.TEST


def test_a_board_cannot_be_answered_by_choosing_one_option(board_study):
    bot = Bot(client=Client(), study_slug=board_study.slug)
    html = bot.reach_first_trial()
    reply = send(bot, html, None, choice=0)
    assert reply.status_code == 400
    assert "Sort every item into a group" in reply.json()["error"]
    assert not Response.objects.filter(participant__token=bot.token).exists()


def test_the_number_of_groups_untold_lets_a_participant_open_one_group_per_item():
    study = picture_board_study(n_groups=2, items_per_group=3, tell_n_groups=False)
    bot = Bot(client=Client(), study_slug=study.slug)
    html = bot.reach_first_trial()
    assert 'data-groups="6"' in html and 'data-groups-told="false"' in html
    assert "Open a new group" in html
    assert send(bot, html, {str(p): p + 7 for p in range(6)}).status_code == 400
    singletons = send(bot, html, {str(p): p + 1 for p in range(6)})
    assert singletons.status_code == 200
    assert Response.objects.get(participant__token=bot.token).score == 0.0
