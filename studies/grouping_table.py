"""The grouping table: one row per item of every grouping board answered (docs/analysis.md).

Grouping answers have no chosen option, so they stay out of the answers table
(answer_table.response_table_for_study) and its accuracy statistics; analysis.grouping reads
this table instead (ARI, permutation tests). Read as plain values, like the answers table.
"""

from django.db.models import F

from studies.answer_table import finite_or_none, participant_facts, participant_status
from studies.models import Response, Study, Trial, TrialOption

GROUPING_COLUMNS = (
    "participant",
    "trial",
    "board",
    "condition",
    "sequence",
    "item",
    "true_group",
    "placed_group",
    "score",
    "is_perfect",
    "n_items",
    "rt_ms",
    "plays",
    "heard_to_end",
    "too_fast",
    "gender",
    "age_band",
    "musical_level",
    "prolific_pid",
    "participant_status",
)


def grouping_table_for_study(study: Study, *, include_previews: bool = False) -> list[dict]:
    """One row per item of each grouping answer, in the participant's and the board's order."""
    answers = Response.objects.filter(
        participant__study=study, trial__trial_type=Trial.Type.GROUPING
    )
    if not include_previews:
        answers = answers.filter(participant__is_preview=False)
    answers = answers.order_by("participant_id", "sequence").values(
        "participant_id",
        "trial_id",
        "sequence",
        "placements",
        "score",
        "is_correct",
        "rt_ms",
        "plays",
        "heard_to_end",
        "too_fast",
        order=F("trial__order"),
        board=F("trial__class_label"),
        condition=F("trial__condition"),
    )
    items = board_items(study)
    participants = participant_facts(study)
    rows = []
    for answer in answers:
        placements = answer["placements"] if isinstance(answer["placements"], dict) else {}
        board = items.get(answer["trial_id"], [])
        participant = participants[answer["participant_id"]]
        for option_id, key, truth in board:
            rows.append(
                {
                    "participant": f"P{answer['participant_id']}",
                    "trial": answer["order"] + 1,
                    "board": answer["board"],
                    "condition": answer["condition"],
                    "sequence": answer["sequence"] + 1,
                    "item": key,
                    "true_group": truth,
                    "placed_group": placements.get(str(option_id)),
                    "score": finite_or_none(answer["score"]),
                    "is_perfect": answer["is_correct"],
                    "n_items": len(board),
                    "rt_ms": finite_or_none(answer["rt_ms"]),
                    "plays": answer["plays"],
                    "heard_to_end": answer["heard_to_end"],
                    "too_fast": answer["too_fast"],
                    "gender": participant["gender"],
                    "age_band": participant["age_band"],
                    "musical_level": participant["musical_level"],
                    "prolific_pid": participant["prolific_pid"],
                    "participant_status": participant_status(participant),
                }
            )
    return rows


def board_items(study: Study) -> dict[int, list[tuple[int, str, str]]]:
    """Trial id -> its items as (option id, stimulus key, true group), in canonical order."""
    boards: dict[int, list] = {}
    options = TrialOption.objects.filter(
        trial__phase__study=study, trial__trial_type=Trial.Type.GROUPING
    ).order_by("trial_id", "order")
    for trial_id, option_id, key, identity in options.values_list(
        "trial_id", "pk", "stimulus__key", "identity"
    ):
        boards.setdefault(trial_id, []).append((option_id, key or "", identity))
    return boards
