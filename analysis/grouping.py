"""Grouping answers: the adjusted Rand index and its permutation tests (no Django).

A grouping answer sorts a trial's items into groups; it is scored against the items' true
groups (their periods) by the adjusted Rand index (ARI, Hubert & Arabie 1985): 1 for the true
partition (whatever the groups are called), about 0 for a random one, below 0 for worse than
random. Whether a participant groups better than chance is a permutation test: the true labels
of each of their answers are shuffled (the group sizes stay), the mean ARI recomputed, and

    p = (1 + number of permutations with mean ARI >= observed) / (1 + n_permutations).

The pooled test does the same for the mean of the participants' mean ARIs, every answer's
labels shuffled in each permutation. Everything is seeded.

The input is the grouping table (studies.answer_table.grouping_table_for_study, described in
docs/analysis.md): one row per placed item, with `participant`, `trial`, `condition`,
`true_group` and `placed_group`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported where tables are read: the answer path needs only the ARI
    import pandas as pd

DEFAULT_PERMUTATIONS = 2000
TIE_TOLERANCE = 1e-12  # a permuted ARI equal to the observed one (up to rounding) counts


def adjusted_rand_index(truth: Sequence, placed: Sequence) -> float:
    """The ARI of two labelings of the same items (labels are any hashable values).

    Computed from the pair counts as scikit-learn does: two partitions that agree on every
    pair of items score 1.0, also in the degenerate cases (one group, or all singletons).
    """
    if len(truth) != len(placed):
        raise ValueError("both labelings must label the same items")
    truth_codes, placed_codes = _codes(truth), _codes(placed)
    squares = _contingency_square_sum(truth_codes[np.newaxis, :], placed_codes)
    return float(_ari_from_squares(squares, truth_codes, placed_codes)[0])


def permuted_aris(
    truth: Sequence, placed: Sequence, *, n_permutations: int, rng: np.random.Generator
) -> np.ndarray:
    """The ARI of `placed` against `n_permutations` shuffles of `truth` (vectorised)."""
    truth_codes, placed_codes = _codes(truth), _codes(placed)
    shuffled = np.stack([rng.permutation(truth_codes) for _ in range(n_permutations)])
    squares = _contingency_square_sum(shuffled, placed_codes)
    return _ari_from_squares(squares, truth_codes, placed_codes)


def permutation_p_value(observed: float, permuted: np.ndarray) -> float:
    """(1 + #permuted >= observed) / (1 + n): never 0, exact under exchangeability."""
    at_least = int(np.sum(permuted >= observed - TIE_TOLERANCE))
    return (1 + at_least) / (1 + len(permuted))


@dataclass(frozen=True)
class Answer:
    """One grouping answer: its items' true and placed groups, in the same order."""

    participant: str
    truth: tuple
    placed: tuple

    @property
    def ari(self) -> float:
        return adjusted_rand_index(self.truth, self.placed)


@dataclass(frozen=True)
class ParticipantGrouping:
    participant: str
    n_answers: int
    mean_ari: float
    p_value: float


@dataclass(frozen=True)
class GroupingResult:
    """One condition's grouping statistics: per participant and pooled."""

    condition: str
    n_participants: int
    n_answers: int
    n_perfect: int
    mean_ari: float  # mean over participants of their mean ARI
    pooled_p_value: float
    n_permutations: int
    participants: list[ParticipantGrouping] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def answers_from_rows(rows: pd.DataFrame) -> list[Answer]:
    """The grouping table's rows (one per item) as one Answer per (participant, trial)."""
    answers = []
    for (participant, _trial), items in rows.groupby(["participant", "trial"], sort=True):
        answers.append(
            Answer(
                participant=str(participant),
                truth=tuple(items["true_group"].astype(str)),
                placed=tuple(items["placed_group"].astype(str)),
            )
        )
    return answers


def grouping_result(
    condition: str,
    answers: list[Answer],
    *,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
) -> GroupingResult:
    """The permutation test per participant (their mean ARI) and pooled (mean of those means)."""
    rng = np.random.default_rng(seed)
    by_participant: dict[str, list[Answer]] = {}
    for answer in answers:
        by_participant.setdefault(answer.participant, []).append(answer)
    participants, observed_means, permuted_means = [], [], []
    for participant, own in sorted(by_participant.items()):
        observed = float(np.mean([answer.ari for answer in own]))
        permuted = np.mean(
            [permuted_aris(a.truth, a.placed, n_permutations=n_permutations, rng=rng) for a in own],
            axis=0,
        )
        participants.append(
            ParticipantGrouping(
                participant, len(own), observed, permutation_p_value(observed, permuted)
            )
        )
        observed_means.append(observed)
        permuted_means.append(permuted)
    pooled = float(np.mean(observed_means)) if observed_means else float("nan")
    pooled_p = (
        permutation_p_value(pooled, np.mean(permuted_means, axis=0))
        if permuted_means
        else float("nan")
    )
    return GroupingResult(
        condition=condition,
        n_participants=len(participants),
        n_answers=len(answers),
        n_perfect=sum(1 for answer in answers if answer.ari >= 1 - TIE_TOLERANCE),
        mean_ari=pooled,
        pooled_p_value=pooled_p,
        n_permutations=n_permutations,
        participants=participants,
    )


def grouping_results(
    rows: pd.DataFrame | list[dict],
    *,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
) -> list[GroupingResult]:
    """One result per condition of the grouping table (empty table: no result)."""
    import pandas as pd

    table = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if len(table) == 0:
        return []
    return [
        grouping_result(
            str(condition), answers_from_rows(group), n_permutations=n_permutations, seed=seed
        )
        for condition, group in table.groupby("condition", sort=True)
    ]


def grouping_tables(results: list[GroupingResult]) -> dict[str, pd.DataFrame]:
    """The report's tables: one row per condition, one row per participant and condition."""
    import pandas as pd

    conditions = pd.DataFrame(
        [
            {
                "condition": r.condition,
                "participants": r.n_participants,
                "answers": r.n_answers,
                "perfect": r.n_perfect,
                "mean_ari": r.mean_ari,
                "p_permutation": r.pooled_p_value,
                "permutations": r.n_permutations,
            }
            for r in results
        ]
    )
    participants = pd.DataFrame(
        [{"condition": r.condition, **asdict(p)} for r in results for p in r.participants]
    )
    return {"grouping": conditions, "grouping_participants": participants}


def _codes(labels: Sequence) -> np.ndarray:
    """Labels as integers 0..k-1 (in order of first appearance)."""
    seen: dict = {}
    return np.array([seen.setdefault(label, len(seen)) for label in labels], dtype=np.int64)


def _contingency_square_sum(truth_rows: np.ndarray, placed: np.ndarray) -> np.ndarray:
    """Sum of squared contingency counts for each row of truth labels against `placed`."""
    n_rows, n_items = truth_rows.shape
    n_placed = int(placed.max()) + 1 if n_items else 1
    n_truth = int(truth_rows.max()) + 1 if n_items else 1
    cells = n_truth * n_placed
    flat = (np.arange(n_rows)[:, np.newaxis] * cells + truth_rows * n_placed + placed).ravel()
    counts = np.bincount(flat, minlength=n_rows * cells).reshape(n_rows, cells)
    return (counts.astype(np.float64) ** 2).sum(axis=1)


def _ari_from_squares(
    squares: np.ndarray, truth_codes: np.ndarray, placed_codes: np.ndarray
) -> np.ndarray:
    """ARI from the pair confusion matrix (tp, fp, fn, tn as scikit-learn counts them)."""
    n = float(len(truth_codes))
    truth_squares = float((np.bincount(truth_codes).astype(np.float64) ** 2).sum())
    placed_squares = float((np.bincount(placed_codes).astype(np.float64) ** 2).sum())
    tp = squares - n
    fp = placed_squares - squares
    fn = truth_squares - squares
    tn = n * n - truth_squares - placed_squares + squares
    denominator = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)
    with np.errstate(divide="ignore", invalid="ignore"):
        ari = 2.0 * (tp * tn - fn * fp) / denominator
    return np.where((fn == 0) & (fp == 0), 1.0, ari)


def tests_used(tables: dict) -> str:
    """The report header's line on the grouping tests (tables from grouping_report_tables)."""
    return TESTS_USED.format(n=int(tables["grouping"]["permutations"].iloc[0]))


TESTS_USED = (
    "Grouping boards: adjusted Rand index (ARI) of each answer against the items' true groups; "
    "per participant, their mean ARI against {n} permutations of the true labels within each "
    "of their answers (group sizes kept), p = (1 + #permuted >= observed) / (1 + {n}); pooled, "
    "the mean of the participants' means against the same permutations of every answer."
)


def grouping_report_tables(
    groupings: pd.DataFrame | list[dict] | None,
    *,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """The report's grouping tables (none without grouping answers): per condition, per
    participant, and one row per answer with its ARI."""
    import pandas as pd

    if groupings is None:
        return {}
    table = groupings if isinstance(groupings, pd.DataFrame) else pd.DataFrame(list(groupings))
    results = grouping_results(table, n_permutations=n_permutations, seed=seed)
    if not results:
        return {}
    answers = [
        {
            "participant": participant,
            "trial": trial,
            "condition": items["condition"].iloc[0],
            "items": len(items),
            "ari": adjusted_rand_index(
                list(items["true_group"].astype(str)), list(items["placed_group"].astype(str))
            ),
        }
        for (participant, trial), items in table.groupby(["participant", "trial"], sort=True)
    ]
    return grouping_tables(results) | {"grouping_answers": pd.DataFrame(answers)}
