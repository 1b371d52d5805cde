"""A grouping board's media links do not tell which items share a group.

Participants open a board of 2 groups x 3 pictures; for every item an attacker takes as its
group-mate the other item whose link is nearest (numerically, by XOR, by shared prefix, in each
number tests/studies/test_media_link_attacks.py reads out of a link). Chance is 2 of the 5
others; each attack's rate must be what guessing gives (one-sided binomial test, Bonferroni
over all attacks).
"""

import re

import pytest
from django.test import Client
from scipy.stats import binomtest

from tests.studies.bots import Bot
from tests.studies.grouping_fixtures import picture_board_study
from tests.studies.test_media_link_attacks import link_numbers

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
FAMILY_ALPHA = 0.01


def boards(n_participants: int) -> list[list[tuple[str, str]]]:
    """Each participant's board: (signed link, true group) per item, in screen order."""
    study = picture_board_study(n_groups=2, items_per_group=3)
    seen = []
    for n in range(n_participants):  # each from its own address (enrolment is rate limited)
        bot = Bot(client=Client(REMOTE_ADDR=f"10.0.0.{n + 1}"), study_slug=study.slug)
        html = bot.reach_first_trial()
        links = re.findall(r'class="item-image" src="/p/[^"/]+/m/([^"]+)"', html)
        seen.append(list(zip(links, bot.board_truth(html), strict=True)))
    return seen


def shared_prefix(a: str, b: str) -> int:
    return -next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))


def attacks() -> dict:
    found = {"shared prefix": shared_prefix}
    for number in range(len(link_numbers("A" * 48))):
        found[f"closest #{number}"] = lambda a, b, n=number: abs(
            link_numbers(a)[n] - link_numbers(b)[n]
        )
        found[f"fewest bits #{number}"] = lambda a, b, n=number: (
            link_numbers(a)[n] ^ link_numbers(b)[n]
        ).bit_count()
    return found


def test_no_link_attack_finds_group_mates_better_than_chance():
    seen = boards(20)  # the study's 20 raters per board
    chosen = attacks()
    alpha = FAMILY_ALPHA / len(chosen)
    for name, distance in chosen.items():
        hits = trials = 0
        for board in seen:
            for link, group in board:
                others = [(o, g) for o, g in board if o != link]
                _, nearest_group = min(others, key=lambda other: distance(link, other[0]))
                hits += nearest_group == group
                trials += 1
        p = binomtest(hits, trials, 2 / 5, alternative="greater").pvalue
        assert p > alpha, f"{name}: {hits}/{trials} group-mates found (p = {p:.2g})"
