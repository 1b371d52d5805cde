"""The participant's page sequence, declared in one place.

consent (before enrolment, at the study link) -> demographics -> headphone check (if the study
asks for one; failing ends at `screened_out`) -> colour-vision check (the same, if asked for) ->
instructions -> preview -> test trials -> done
(debrief with completion code). A participant's current stage is stored, so
a reload or the back button always lands on the page they are at, never an earlier one.
"""

from studies import selectors
from studies.models import Participant

Stage = Participant.Stage

SEQUENCE: tuple[str, ...] = (
    Stage.DEMOGRAPHICS,
    Stage.SCREENING,
    Stage.COLOUR_CHECK,
    Stage.INSTRUCTIONS,
    Stage.PREVIEW,
    Stage.TEST,
    Stage.DONE,
)


def stage_applies(participant: Participant, stage: str) -> bool:
    if stage == Stage.SCREENING:
        return participant.study.headphone_check
    if stage == Stage.COLOUR_CHECK:
        return participant.study.colour_vision_check
    if stage == Stage.PREVIEW:
        return selectors.study_has_preview(participant.study)
    if stage == Stage.TEST:
        return participant.trial_count > 0
    return True


def stage_after(participant: Participant, stage: str) -> str:
    for candidate in SEQUENCE[SEQUENCE.index(stage) + 1 :]:
        if stage_applies(participant, candidate):
            return candidate
    return Stage.DONE


def instructions_on_welcome_page(study) -> bool:
    """The welcome page (consent, questionnaire) also shows the instructions when no screening
    comes between the questionnaire and them."""
    return not (study.headphone_check or study.colour_vision_check)


def stage_after_welcome(participant: Participant, *, instructions_read: bool) -> str:
    """Where a participant who answered the welcome page's questionnaire goes next."""
    stage = stage_after(participant, Stage.DEMOGRAPHICS)
    if stage == Stage.INSTRUCTIONS and instructions_read:
        return stage_after(participant, Stage.INSTRUCTIONS)
    return stage


def progress_fraction(participant: Participant) -> float:
    """Share of the study done, for the progress bar: trials dominate the estimate."""
    pages_before_test = SEQUENCE.index(Stage.TEST)
    total = pages_before_test + participant.trial_count
    if participant.stage in (Stage.DONE, Stage.SCREENED_OUT):
        return 1.0
    position = SEQUENCE.index(participant.stage)
    if participant.stage == Stage.TEST:
        position += participant.next_index
    return min(position / max(total, 1), 1.0)
