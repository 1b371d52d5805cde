"""Style grouping (after Hasenfus, Martindale & Birnbaum 1983): sort clips (and pictures) by period.

Each test trial is one board: `n_groups` x `items_per_group` items, which the participant sorts
into groups by drag and drop or with the keys (templates/participant/grouping_board.html,
static/synlab/grouping.js). The items are the trial's options; each option's `identity` is the
item's true group (a period, or a band of years), and its answer is scored against those by the
adjusted Rand index (analysis.grouping), so what the groups are called or numbered does not
matter. With `tell_n_groups` (default) the board shows exactly that many unnamed groups
("Group 1", ...); without it the participant opens groups as they need them, up to one per item.

Items come from the offline corpus (music21's bundled works, dated by
modeling.chronology.corpus; clips rendered as every study renders MIDI, see grouping_items) or,
with `import_batch`, from an import's dated items (pictures, audio clips and MIDI files mixed:
the mixed-media study). `n_trials` boards per participant, each with its own items (no item is
on two boards). Every option is "not correct" (a grouping has no one right option); a board's
`prompt` is its first item in the canonical order, which is shuffled (the schema needs a
prompt; the board never shows it apart from the items, and its link is not prefetched).
Condition "grouping", class "board <n>". No preview phase: the instructions say what to do.
"""

import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from studies.designs import (
    DesignError,
    DesignParams,
    OptionPlan,
    PhasePlan,
    StudyPlan,
    TrialPlan,
    param,
    whole_number,
)
from studies.designs.grouping_items import (
    PERIODS,
    Candidate,
    candidates_by_group,
    chosen_groups,
    corpus_candidates,
    midi_clip,
    score_clip,
    spread_order,
    year_bands,
)
from studies.media import MediaError, probe_audio
from studies.models import Phase, Study, Trial
from studies.stimuli import StimulusStore

KIND = "style_grouping"
LABEL = "Style grouping (sort clips and pictures by period)"
CONDITION = "grouping"
MAX_ITEMS_PER_BOARD = 24
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Params(DesignParams):
    n_groups: int = param(
        4,
        "Groups on each board, 2 to 6: with the periods (Renaissance, Baroque, Classical, "
        "Romantic) at most 4, spread over time (2 groups: the first and the last).",
    )
    items_per_group: int = param(
        3, f"Items of each group on a board, 2 to 8 (at most {MAX_ITEMS_PER_BOARD} per board)."
    )
    n_trials: int = param(1, "Boards per participant, 1 to 5, each with its own items.")
    clip_seconds: int = param(
        12, "Length of each rendered clip in seconds, 4 to 30 (imported audio clips stay as cut)."
    )
    band_years: int | None = param(
        None,
        "Empty: the groups are the four style periods. A number from 10 to 500: the groups "
        "are bands of that many years instead (e.g. 50: 1600-1649, 1650-1699, ...).",
    )
    import_batch: int | None = param(
        None,
        "Empty: items from the offline music corpus. The id of an import: its dated items "
        "(pictures, audio clips and MIDI files, mixed) instead.",
    )
    tell_n_groups: bool = param(
        True,
        "true: the board shows exactly n_groups unnamed groups. false: the participant is not "
        "told how many; they open groups as they need them (up to one per item).",
    )

    def problems(self) -> list[str]:
        problems = []
        ranges = {"n_groups": (2, 6), "items_per_group": (2, 8), "n_trials": (1, 5)}
        ranges["clip_seconds"] = (4, 30)
        for name, (low, high) in ranges.items():
            if not whole_number(getattr(self, name), low, high):
                problems.append(f"{name} must be a whole number from {low} to {high}.")
        if problems:
            return problems
        if self.n_groups * self.items_per_group > MAX_ITEMS_PER_BOARD:
            problems.append(
                f"A board holds at most {MAX_ITEMS_PER_BOARD} items; n_groups x "
                f"items_per_group is {self.n_groups * self.items_per_group}."
            )
        if self.band_years is None and self.n_groups > len(PERIODS):
            problems.append(
                f"There are {len(PERIODS)} periods; ask for at most {len(PERIODS)} groups, "
                "or set band_years."
            )
        if self.band_years is not None and not whole_number(self.band_years, 10, 500):
            problems.append("band_years must be empty or a whole number from 10 to 500.")
        if not isinstance(self.tell_n_groups, bool):
            problems.append("tell_n_groups must be true or false.")
        if self.import_batch is not None:
            problems += import_problems(self)
        return problems

    @property
    def needed_per_group(self) -> int:
        return self.items_per_group * self.n_trials


def import_problems(params: Params) -> list[str]:
    from studies.importing.selectors import batch_problems

    if not whole_number(params.import_batch, 1, MAX_ID):
        return ["import_batch must be empty or the id of an import."]
    return batch_problems(
        params.import_batch,
        dated=True,
        at_least=params.n_groups * params.needed_per_group,
        name="import_batch",
    )


def build(*, study: Study, store: StimulusStore) -> StudyPlan:
    """On the `cpu` queue: draw each group's items, store them, plan the boards."""
    params = Params.from_dict(study.design_params)
    rng = random.Random(study.seed)
    candidates = (
        import_candidates(params.import_batch)
        if params.import_batch is not None
        else corpus_candidates()
    )
    groups = (
        list(PERIODS) if params.band_years is None else year_bands(candidates, params.band_years)
    )
    by_group = candidates_by_group(candidates, groups)
    chosen, problems = chosen_groups(
        by_group, n_groups=params.n_groups, needed=params.needed_per_group
    )
    if problems:
        raise DesignError(problems)
    items = {
        group.label: stored_items(
            spread_order(by_group[group], rng),
            group=group.label,
            needed=params.needed_per_group,
            params=params,
            store=store,
            rng=rng,
        )
        for group in chosen
    }
    return StudyPlan(phases=[grouping_phase(items, params=params, rng=rng)])


def grouping_phase(items: dict[str, list[str]], *, params: Params, rng: random.Random):
    """`n_trials` boards; board t takes items t*k .. t*k+k-1 of every group."""
    trials = []
    size = params.items_per_group
    for board in range(params.n_trials):
        options = [
            OptionPlan(stimulus=key, is_correct=False, identity=label)
            for label, keys in items.items()
            for key in keys[board * size : (board + 1) * size]
        ]
        rng.shuffle(options)
        trials.append(
            TrialPlan(
                trial_type=Trial.Type.GROUPING,
                prompt=options[0].stimulus,
                options=options,
                class_label=f"board {board + 1}",
                condition=CONDITION,
            )
        )
    return PhasePlan(kind=Phase.Kind.TEST, title="Sort by period", trials=trials)


def stored_items(
    ordered: list[Candidate],
    *,
    group: str,
    needed: int,
    params: Params,
    store: StimulusStore,
    rng: random.Random,
) -> list[str]:
    """The first `needed` candidates that make a stimulus, stored; their keys."""
    keys, unusable = [], 0
    for candidate in ordered:
        if len(keys) == needed:
            break
        key = store_candidate(
            candidate, group=group, number=len(keys), params=params, store=store, rng=rng
        )
        if key is None:
            unusable += 1
        else:
            keys.append(key)
    if len(keys) < needed:
        raise DesignError(
            [
                f"{group}: only {len(keys)} of its {len(ordered)} works gave a usable item "
                f"({unusable} too short or unreadable); {needed} are needed."
            ]
        )
    return keys


def store_candidate(
    candidate: Candidate,
    *,
    group: str,
    number: int,
    params: Params,
    store: StimulusStore,
    rng: random.Random,
) -> str | None:
    stem = f"{group}/{number + 1:02d}"
    provenance = {**candidate.provenance, "group": group}
    if candidate.kind in ("image", "audio"):
        return store_imported(candidate, stem=stem, group=group, store=store, provenance=provenance)
    if candidate.kind == "score":
        files = score_clip(candidate, seconds=params.clip_seconds, rng=rng)
    else:
        files = imported_midi_clip(candidate, seconds=params.clip_seconds, rng=rng)
    if files is None:
        return None
    audio, midi = files
    try:
        original = probe_audio(audio, name=f"{stem}.flac")
    except MediaError:
        return None
    store.media(
        key=f"{stem}.flac", data=audio, original=original, class_label=group, provenance=provenance
    )
    store.midi(key=f"{stem}.mid", data=midi, class_label=group, provenance=provenance)
    return f"{stem}.flac"


# ----- imports ---------------------------------------------------------------------------------


def import_candidates(batch_id: int) -> list[Candidate]:
    """An import's dated items; an item's span is its year plus or minus its uncertainty."""
    from studies.importing.selectors import imported_items

    return [
        Candidate(
            name=item.source_file,
            creator=item.creator,
            kind=item.kind,
            start_year=item.year - (item.year_uncertainty or 0),
            end_year=item.year + (item.year_uncertainty or 0),
            source=item.pk,
            provenance={
                "import": batch_id,
                "imported_item": item.pk,
                "source_file": item.source_file,
                "creator": item.creator,
                "year": item.year,
                "year_source": item.year_source,
            },
        )
        for item in imported_items(batch_id, dated=True)
    ]


def imported_item(candidate: Candidate):
    from studies.import_models import ImportedItem

    return ImportedItem.objects.get(pk=candidate.source)


def store_imported(
    candidate: Candidate, *, stem: str, group: str, store: StimulusStore, provenance: dict
) -> str | None:
    """A picture or an audio clip as imported (re-encoded for participants)."""
    from studies.importing.selectors import item_media

    data, original = item_media(imported_item(candidate))
    key = f"{stem}{original.extension}"
    try:
        store.media(key=key, data=data, original=original, class_label=group, provenance=provenance)
    except MediaError:
        return None
    return key


def imported_midi_clip(candidate: Candidate, *, seconds: int, rng: random.Random):
    from studies.importing.selectors import item_media

    data, _ = item_media(imported_item(candidate))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "item.mid"
        path.write_bytes(data)
        return midi_clip(path, seconds=seconds, rng=rng)
