"""The answers table: one row per answer, in the documented analysis format (docs/analysis.md).

Exports, the API and reports read it. Rows are built from plain database values, never model
instances, so whatever is stored (a year Python cannot hold, a non-finite number, odd flags)
exports as text instead of failing every download.
"""

import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, TextField
from django.db.models.functions import Cast

from studies.models import Assignment, Participant, Response, Study, Trial, TrialOption

RESPONSE_COLUMNS = (
    "participant",
    "trial",
    "item",
    "condition",
    "class",
    "n_options",
    "chosen",
    "correct",
    "is_correct",
    "position",
    "sequence",
    "rt_ms",
    "audio_rt_ms",
    "plays",
    "heard_to_end",
    "fraction_heard",
    "pauses",
    "hidden_while_playing",
    "too_fast",
    "is_catch",
    "gender",
    "age_band",
    "musical_level",
    "prolific_pid",
    "participant_status",
    "failed_catch",
    "failed_screening",
    "chosen_class",
    "correct_position",
    "participant_flags",
    "client_sent_at",
    "received_at",
)


def participant_facts(study: Study) -> dict[int, dict]:
    """What the exports say about each participant of the study, by id (one query)."""
    return {
        row["pk"]: row
        for row in Participant.objects.filter(study=study).values(
            "pk",
            "gender",
            "age_band",
            "musical_level",
            "prolific_pid",
            "stage",
            "flags",
            completed=ExpressionWrapper(Q(completed_at__isnull=False), BooleanField()),
            released=ExpressionWrapper(Q(released_at__isnull=False), BooleanField()),
        )
    }


def response_table_for_study(study: Study, *, include_previews: bool = False) -> list[dict]:
    """One row per answer, in the documented analysis table format (see docs/analysis.md).

    Numbers people read count from 1, as the admin's progress table and the participant's
    "Task n of N" do: `trial` is the trial's number in its phase, `sequence` the task number
    the participant saw. Screen positions (`position`, `correct_position`) stay 0 = first.

    Read as plain values, never as model instances, so that whatever a client managed to store
    still exports: a time Python cannot hold (year 10000 in UTC) is read as the database's text,
    a non-finite number becomes empty, flags that are not text are written out as text.
    """
    # A grouping board has no chosen option: its answers are in studies/grouping_table.py.
    responses = Response.objects.filter(participant__study=study).exclude(
        trial__trial_type=Trial.Type.GROUPING
    )
    if not include_previews:
        responses = responses.filter(participant__is_preview=False)
    rows = responses.order_by("participant_id", "sequence").values(
        "participant_id",
        "trial_id",
        "is_correct",
        "position",
        "sequence",
        *EXPORTED_NUMBERS,
        "heard_to_end",
        "hidden_while_playing",
        "too_fast",
        chosen_identity=F("chosen__identity"),
        chosen_class=F("chosen__stimulus__class_label"),
        client_sent=Cast("client_sent_at", TextField()),
        received=Cast("received_at", TextField()),
    )
    context = export_context(study)
    return [response_row(row, context) for row in rows]


def study_labels(studies) -> dict[int, str]:
    """What names each study in a table over several: its name, or "name (#id)" where two
    selected studies share a name."""
    studies = list(studies)
    names = Counter(study.name for study in studies)
    return {
        study.pk: study.name if names[study.name] == 1 else f"{study.name} (#{study.pk})"
        for study in studies
    }


def response_table_for_studies(studies) -> list[dict]:
    """The answers of several studies in one table: each row starts with its `study` label.

    Participant ids ("P<id>") are unique across studies, so they stay as they are.
    """
    labels = study_labels(studies)
    return [
        {"study": labels[study.pk], **row}
        for study in studies
        for row in response_table_for_study(study)
    ]


# Numbers a client sends; stored as they came, exported only when finite.
EXPORTED_NUMBERS = ("rt_ms", "audio_rt_ms", "plays", "fraction_heard", "pauses")


@dataclass(frozen=True)
class ExportContext:
    """Per-study lookups made once for the whole export: trials, participants, screens."""

    trials: dict[int, dict]
    participants: dict[int, dict]
    failed_catch: dict[int, int]
    screens: dict[tuple[int, int], object]  # (participant, trial) -> option ids in screen order


def export_context(study: Study) -> ExportContext:
    trials = {
        row["pk"]: row
        for row in Trial.objects.filter(phase__study=study)
        .values("pk", "order", "condition", "class_label", "is_catch", item=F("prompt__key"))
        .annotate(n_options=Count("options"))
    }
    for trial_id, identity, option_id in TrialOption.objects.filter(
        trial__phase__study=study, is_correct=True
    ).values_list("trial_id", "identity", "pk"):
        trials[trial_id] |= {"correct_identity": identity, "correct_option": option_id}
    participants = participant_facts(study)
    failed_catch = dict(
        Response.objects.filter(participant__study=study, trial__is_catch=True, is_correct=False)
        .values_list("participant_id")
        .annotate(n=Count("pk"))
    )
    screens = {
        (participant_id, trial_id): order
        for participant_id, trial_id, order in Assignment.objects.filter(
            participant__study=study
        ).values_list("participant_id", "trial_id", "option_order")
    }
    return ExportContext(trials, participants, failed_catch, screens)


def response_row(response: dict, context: ExportContext) -> dict:
    trial = context.trials[response["trial_id"]]
    participant = context.participants[response["participant_id"]]
    screen = context.screens.get((participant["pk"], trial["pk"]))
    numbers = {name: finite_or_none(response[name]) for name in EXPORTED_NUMBERS}
    return {
        "participant": f"P{participant['pk']}",
        "trial": trial["order"] + 1,
        "item": trial["item"],
        "condition": trial["condition"],
        "class": trial["class_label"],
        "n_options": trial["n_options"],
        "chosen": response["chosen_identity"],
        "correct": trial.get("correct_identity", ""),
        "is_correct": response["is_correct"],
        "position": response["position"],
        "sequence": response["sequence"] + 1,
        "rt_ms": numbers["rt_ms"],
        "audio_rt_ms": numbers["audio_rt_ms"],
        "plays": numbers["plays"],
        "heard_to_end": response["heard_to_end"],
        "fraction_heard": numbers["fraction_heard"],
        "pauses": numbers["pauses"],
        "hidden_while_playing": response["hidden_while_playing"],
        "too_fast": response["too_fast"],
        "is_catch": trial["is_catch"],
        "gender": participant["gender"],
        "age_band": participant["age_band"],
        "musical_level": participant["musical_level"],
        "prolific_pid": participant["prolific_pid"],
        "participant_status": participant_status(participant),
        "failed_catch": context.failed_catch.get(participant["pk"], 0),
        "failed_screening": participant["stage"] == Participant.Stage.SCREENED_OUT,
        "chosen_class": response["chosen_class"] or "",  # a worded option has no stimulus
        "correct_position": index_or_none(screen, trial.get("correct_option")),
        "participant_flags": flags_text(participant["flags"]),
        "client_sent_at": stored_time_text(response["client_sent"]),
        "received_at": stored_time_text(response["received"]),
    }


def participant_status(participant: dict) -> str:
    if participant["completed"]:
        return "complete"
    return "abandoned" if participant["released"] else "in_progress"


def finite_or_none(value):
    """A stored number as exported: NaN and infinities (which JSON cannot carry) become empty."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def index_or_none(screen, option_id: int | None) -> int | None:
    try:
        return screen.index(option_id)
    except (AttributeError, ValueError):
        return None


def flags_text(flags) -> str:
    """The participant's quality flags as one text cell, whatever JSON was stored."""
    if isinstance(flags, list):
        return "; ".join(flag if isinstance(flag, str) else json.dumps(flag) for flag in flags)
    return "" if flags in (None, "") else json.dumps(flags)


def stored_time_text(text: str | None) -> str:
    """A stored time as ISO 8601 in UTC; the database's own text when Python cannot hold it.

    The times are read as text (not as datetimes) so that one out-of-range value, e.g. a
    client's 9999-12-31T23:59:59-14:00 (year 10000 in UTC), cannot fail the whole export.
    """
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:  # SQLite keeps UTC without an offset
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    except (ValueError, OverflowError):
        return text
