"""A grouping board's media links do not tell which items share a group.

Participants open a board of 2 groups x 3 pictures; for every item an attacker takes as its
group-mate the other item whose link is nearest (numerically, by XOR, by shared prefix, in each
number tests/studies/test_media_link_attacks.py reads out of a link). Chance is 2 of the 5
others; each attack's rate must be what guessing gives. The six picks on one board are not
independent (nearness is mutual), so the test is a permutation test: the true groups shuffled
within each board, one-sided, Bonferroni over all attacks. A binomial test over the 120 picks
treated them as independent and failed now and then on links that hide nothing.
"""

import re

import numpy as np
import pytest
from django.test import Client

from tests.studies.bots import Bot
from tests.studies.grouping_fixtures import picture_board_study
from tests.studies.test_media_link_attacks import link_numbers

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
FAMILY_ALPHA = 0.01
PERMUTATIONS = 9999  # the smallest p it can give, 1e-4, is below the per-attack alpha


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


def nearest_others(board: list[tuple[str, str]], distance) -> list[int]:
    """For each item, the place of the other item whose link is nearest (the first on ties)."""
    links = [link for link, _ in board]
    return [
        min((j for j in range(len(links)) if j != i), key=lambda j: distance(links[i], links[j]))
        for i in range(len(links))
    ]


def group_mates_found(groups: np.ndarray, nearest: np.ndarray) -> np.ndarray:
    """How many picks name a group-mate, over the last two axes (boards x items)."""
    return (groups == np.take_along_axis(groups, nearest, axis=-1)).sum(axis=(-2, -1))


def permutation_p(groups: np.ndarray, nearest: np.ndarray, rng) -> tuple[int, float]:
    """The hits with the true groups, and how often groups shuffled within each board (what
    the links could not tell apart) find as many."""
    observed = int(group_mates_found(groups, nearest))
    shuffled = rng.permuted(np.repeat(groups[None], PERMUTATIONS, axis=0), axis=-1)
    nearest_each = np.broadcast_to(nearest, shuffled.shape)
    as_many = int((group_mates_found(shuffled, nearest_each) >= observed).sum())
    return observed, (1 + as_many) / (1 + PERMUTATIONS)


def test_a_planted_leak_is_found_by_the_permutation_test():
    """The test has power: picks that name a group-mate on half the items (a random other item
    on the rest: 70% hits against 40% by chance) are caught, and blind picks are not."""
    rng = np.random.default_rng(5)
    groups = np.array([rng.permutation([0, 0, 0, 1, 1, 1]) for _ in range(20)])
    mates = [
        [next(j for j in range(6) if j != i and g[j] == g[i]) for i in range(6)] for g in groups
    ]
    anyone = (np.arange(6) + rng.integers(1, 6, size=(20, 6))) % 6
    leaky = np.where(rng.random((20, 6)) < 0.5, mates, anyone)
    assert permutation_p(groups, leaky, rng)[1] < FAMILY_ALPHA / len(attacks())
    blind = np.array([[(i + 1) % 6 for i in range(6)] for _ in range(20)])  # ignores the links
    assert permutation_p(groups, blind, rng)[1] > 0.01


def test_no_link_attack_finds_group_mates_better_than_chance():
    seen = boards(20)  # the study's 20 raters per board
    labels = {group: n for n, group in enumerate(sorted({g for board in seen for _, g in board}))}
    groups = np.array([[labels[group] for _, group in board] for board in seen])
    chosen = attacks()
    alpha = FAMILY_ALPHA / len(chosen)
    rng = np.random.default_rng(16)
    for name, distance in chosen.items():
        nearest = np.array([nearest_others(board, distance) for board in seen])
        hits, p = permutation_p(groups, nearest, rng)
        assert p > alpha, f"{name}: {hits}/{groups.size} group-mates found (p = {p:.2g})"
