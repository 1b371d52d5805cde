"""The experiment domain. Correct answers and stimulus identities stay on the server."""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from studies.study_texts import StudyTexts, texts_in, translation_problems


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_slug() -> str:
    return secrets.token_urlsafe(9)


def new_completion_code() -> str:
    return secrets.token_hex(4).upper()


def upload_path(instance: "Study", filename: str) -> str:
    return f"uploads/{instance.uuid}/{uuid.uuid4().hex}.zip"


def stimulus_path(instance: "Stimulus", filename: str) -> str:
    # Opaque on purpose: the name tells a participant nothing about class or correctness.
    return f"studies/{instance.study.uuid}/stimuli/{instance.sha256}{instance.extension}"


class Study(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        GENERATING = "generating", "Generating"
        READY = "ready", "Ready"
        LIVE = "live", "Live"
        CLOSED = "closed", "Closed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.CharField(max_length=32, unique=True, default=new_slug, editable=False)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    design_params = models.JSONField(default=dict, blank=True)
    seed = models.PositiveIntegerField(default=0)
    raters_per_trial = models.PositiveIntegerField(
        default=20,
        validators=[MinValueValidator(1)],
        help_text="Every test trial is answered by exactly this many participants.",
    )
    trials_per_participant = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Empty: every participant does every test trial.",
    )
    abandon_after_minutes = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1)],
        help_text="An unfinished session idle this long frees its trials for others.",
    )
    require_full_listen = models.BooleanField(
        default=True, help_text="Participants must hear the whole clip before they can answer."
    )
    consent_text = models.TextField(blank=True)
    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text='The name and consent text in other languages: {"de": {"name": ..., '
        '"consent_text": ...}}; what is missing falls back to the default language.',
    )
    instructions = models.TextField(blank=True)
    completion_code = models.CharField(max_length=32, default=new_completion_code)
    completion_url = models.URLField(blank=True, help_text="e.g. the Prolific completion link")
    exclusion_rules = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            "Applied in reports, raw data kept: max_failed_catch, min_median_rt_ms, min_answers, "
            "require_screening_pass (see docs/analysis.md)"
        ),
    )
    headphone_check = models.BooleanField(
        default=False, help_text="Screen with a Huggins-pitch and an anti-phase test first."
    )
    headphone_pass_mark = models.PositiveSmallIntegerField(
        default=5,
        validators=[MaxValueValidator(6)],
        help_text="Correct answers needed in each headphone test (of 6).",
    )
    colour_vision_check = models.BooleanField(
        default=False, help_text="Ask participants to read three colour plates first."
    )
    screened_out_url = models.URLField(
        blank=True, help_text="Where screened-out participants go (e.g. Prolific's link)"
    )
    source_upload = models.FileField(upload_to=upload_path, blank=True)
    build_problems = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # The researcher's choices, listed once for the admin forms, the API and the services.
    # Fixed at creation: the build uses them.
    DESIGN_FIELDS = ("design_params", "seed")
    # Changeable at any time (services.study_update).
    SETTINGS_FIELDS = (
        "raters_per_trial",
        "trials_per_participant",
        "abandon_after_minutes",
        "require_full_listen",
        "headphone_check",
        "headphone_pass_mark",
        "colour_vision_check",
        "exclusion_rules",
    )
    TEXT_FIELDS = ("consent_text", "instructions", "completion_url", "screened_out_url")

    class Meta:
        verbose_name_plural = "studies"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def texts(self) -> StudyTexts:
        """The name and consent text in the active language (what participants read)."""
        return texts_in(
            name=self.name,
            consent_text=self.consent_text,
            translations=self.translations if isinstance(self.translations, dict) else {},
            language=get_language() or "",
        )

    def clean(self) -> None:
        """The design parameters must suit the kind (stored with the design's defaults filled
        in); the translations must name this site's languages and hold texts."""
        from studies.designs import DesignError, design_for

        errors = {}
        try:
            design = design_for(self.kind)
        except DesignError as error:
            errors["kind"] = error.problems
        else:
            try:
                self.design_params = design.Params.from_dict(self.design_params or {}).to_dict()
            except DesignError as error:
                errors["design_params"] = error.problems
        if problems := translation_problems(self.translations):
            errors[NON_FIELD_ERRORS] = problems  # the admin edits them as several fields
        if errors:
            raise ValidationError(errors)


class Phase(models.Model):
    class Kind(models.TextChoices):
        PREVIEW = "preview", "Preview"
        TEST = "test", "Test"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    order = models.PositiveIntegerField()
    title = models.CharField(max_length=200, blank=True)
    instructions = models.TextField(blank=True)

    class Meta:
        ordering = ["study", "order"]
        constraints = [
            models.UniqueConstraint(fields=["study", "order"], name="phase_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.study} / {self.kind}"


class Stimulus(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        AUDIO = "audio", "Audio"
        MIDI = "midi", "MIDI"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="stimuli")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(max_length=255, help_text="Name in the researcher's set (never shown)")
    file = models.FileField(upload_to=stimulus_path, max_length=300)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField(default=0)
    duration_s = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    class_label = models.CharField(max_length=128, blank=True)
    description = models.CharField(max_length=500, blank=True, help_text="Alt text for images")
    provenance = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "stimuli"
        constraints = [
            models.UniqueConstraint(fields=["study", "key"], name="stimulus_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class Trial(models.Model):
    class Type(models.TextChoices):
        AUDIO_TO_IMAGE = "audio_to_image", "Audio prompt, image options"
        IMAGE_TO_AUDIO = "image_to_audio", "Image prompt, audio options"
        TRANSFORMATION = "transformation", "Transformed image, audio options, anchor pair shown"
        STYLE_FUSION = "style_fusion", "Fused image, audio options, anchor pairs shown"
        AUDIO_TO_AUDIO = "audio_to_audio", "Audio prompt, audio options"
        PAIR_JUDGEMENT = "pair_judgement", "A clip and an image shown together, yes/no options"
        GROUPING = "grouping", "Sort the options into groups (drag and drop or keys)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="trials")
    order = models.PositiveIntegerField()
    trial_type = models.CharField(max_length=32, choices=Type.choices)
    prompt = models.ForeignKey(Stimulus, on_delete=models.PROTECT, related_name="prompt_of")
    condition = models.CharField(max_length=64, blank=True, default="main")
    class_label = models.CharField(max_length=128, blank=True)
    is_catch = models.BooleanField(default=False)

    class Meta:
        ordering = ["phase", "order"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "order"], name="trial_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.phase} #{self.order + 1}"  # counted from 1, as people read


class TrialReference(models.Model):
    """A stimulus shown with a trial for reference (e.g. the anchor pair of a transformation
    test): playable, never an answer. In `order`; an image followed by a clip is one pair."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="references")
    stimulus = models.ForeignKey(Stimulus, on_delete=models.PROTECT, related_name="reference_of")
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["trial", "order"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "order"], name="reference_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.trial} reference {self.order + 1}"


class TrialOption(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="options")
    stimulus = models.ForeignKey(
        Stimulus,
        on_delete=models.PROTECT,
        related_name="option_of",
        null=True,
        blank=True,
        help_text="Empty for a worded option (yes / no), which has a label instead",
    )
    label = models.CharField(
        max_length=100, blank=True, help_text="What a worded option says (e.g. 'Yes, it fits')"
    )
    order = models.PositiveIntegerField(
        help_text="Canonical order; screen order is per participant"
    )
    is_correct = models.BooleanField(default=False)
    identity = models.CharField(
        max_length=255,
        help_text="Category for agreement statistics (a grouping item's true group)",
    )

    class Meta:
        ordering = ["trial", "order"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "order"], name="option_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.trial} option {self.order + 1}"


class Participant(models.Model):
    class Stage(models.TextChoices):
        DEMOGRAPHICS = "demographics", "Demographics"
        SCREENING = "screening", "Headphone check"
        COLOUR_CHECK = "colour_check", "Colour-vision check"
        SCREENED_OUT = "screened_out", "Screened out"
        INSTRUCTIONS = "instructions", "Instructions"
        PREVIEW = "preview", "Preview"
        TEST = "test", "Test"
        DONE = "done", "Done"

    # Demographics: the one list of options for the questionnaire, the services and exports.
    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        NON_BINARY = "non_binary", _("Non-binary")
        OTHER = "other", _("Other")
        PREFER_NOT_TO_SAY = "prefer_not_to_say", _("Prefer not to say")

    class AgeBand(models.TextChoices):
        FROM_18 = "18-24", "18-24"
        FROM_25 = "25-34", "25-34"
        FROM_35 = "35-44", "35-44"
        FROM_45 = "45-54", "45-54"
        FROM_55 = "55-64", "55-64"
        FROM_65 = "65+", "65+"
        PREFER_NOT_TO_SAY = "prefer_not_to_say", _("Prefer not to say")

    class MusicalLevel(models.TextChoices):
        AMATEUR = "amateur", _("Amateur (little or no training)")
        INTERMEDIATE = "intermediate", _("Intermediate (some years of practice)")
        PROFESSIONAL = "professional", _("Professional (music is my work or study)")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="participants")
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    label = models.CharField(max_length=100, blank=True, help_text="Lab label for generic links")
    prolific_pid = models.CharField(max_length=64, blank=True)
    prolific_study_id = models.CharField(max_length=64, blank=True)
    prolific_session_id = models.CharField(max_length=64, blank=True)
    is_preview = models.BooleanField(default=False, help_text="A researcher previewing; no data")
    gender = models.CharField(max_length=32, blank=True, choices=Gender.choices)
    age_band = models.CharField(max_length=32, blank=True, choices=AgeBand.choices)
    musical_level = models.CharField(max_length=16, blank=True, choices=MusicalLevel.choices)
    screening_scores = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(default=list, blank=True, help_text="Quality notes, with reasons")
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.DEMOGRAPHICS)
    trial_count = models.PositiveIntegerField(default=0, help_text="Test trials assigned")
    next_index = models.PositiveIntegerField(default=0)
    last_seen_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(
        null=True, blank=True, help_text="Abandoned: the trials went back to the pool"
    )
    user_agent = models.CharField(max_length=400, blank=True)
    browser_key = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Hash of the enrolling browser's session id: a repeated consent from it resumes",
    )
    consented_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["study", "prolific_pid"],
                condition=~Q(prolific_pid=""),
                name="one_participation_per_prolific_pid",
            ),
        ]

    def __str__(self) -> str:
        return self.label or self.prolific_pid or f"participant {self.pk}"


class Assignment(models.Model):
    """A test trial handed to a participant: its place in their list and their option order."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="assignments"
    )
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="assignments")
    sequence = models.PositiveIntegerField()
    option_order = models.JSONField(help_text="Option ids in screen order")
    rater_index = models.PositiveIntegerField(help_text="How many raters had this trial before")
    served_at = models.DateTimeField(null=True, blank=True, help_text="First shown")

    class Meta:
        ordering = ["participant", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "trial"], name="assignment_trial_unique"
            ),
            models.UniqueConstraint(
                fields=["participant", "sequence"], name="assignment_sequence_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} #{self.sequence + 1}: {self.trial}"


class Response(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="responses")
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="responses")
    chosen = models.ForeignKey(
        TrialOption,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="The option chosen; empty for a grouping, whose answer is its placements",
    )
    is_correct = models.BooleanField()
    placements = models.JSONField(
        null=True,
        blank=True,
        help_text="A grouping's answer: option id -> the participant's group number",
    )
    score = models.FloatField(
        null=True, blank=True, help_text="A grouping's adjusted Rand index against the truth"
    )
    position = models.PositiveSmallIntegerField(help_text="Screen position chosen (0 = first)")
    sequence = models.PositiveIntegerField(
        help_text="Index of the trial in this participant's list"
    )
    rt_ms = models.FloatField(
        null=True,
        blank=True,
        help_text="From the moment answering was allowed to the answer, page clock (ms)",
    )
    audio_rt_ms = models.FloatField(
        null=True,
        blank=True,
        help_text=(
            "From the end of the last required clip, as heard, to the answer, on the audio "
            "output clock (ms); below 0 means the answer came before the end could be heard "
            "(automation); empty where the browser played the clips without Web Audio"
        ),
    )
    plays = models.PositiveSmallIntegerField(default=0)
    heard_to_end = models.BooleanField(default=False)
    fraction_heard = models.FloatField(
        null=True, blank=True, help_text="Furthest point reached, 0-1"
    )
    pauses = models.PositiveSmallIntegerField(default=0)
    hidden_while_playing = models.BooleanField(
        default=False, help_text="The tab was hidden while a clip played"
    )
    too_fast = models.BooleanField(
        default=False, help_text="Answered before the clips could have been heard"
    )
    client_sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "trial"], name="one_response_per_trial"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} / {self.trial}: option {self.position + 1}"


class AuditEvent(models.Model):
    """A record of data removed on a researcher's word (a participant's withdrawal, a study
    deleted with its answers): who, when, what and which study, never the removed data. The
    participant is named by the pseudonym every export uses ("P17"), so copies exported before
    can be cleaned too; their Prolific id, answers and demographics are gone."""

    class Action(models.TextChoices):
        PARTICIPANT_WITHDRAWN = "participant_withdrawn", "Participant withdrawn (data removed)"
        STUDY_DELETED = "study_deleted", "Study deleted with its data"

    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="Kept if the account is removed")
    action = models.CharField(max_length=32, choices=Action.choices)
    study = models.ForeignKey(
        Study, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    study_label = models.CharField(max_length=220, help_text="Kept if the study is deleted")
    participant_ref = models.CharField(
        max_length=32, blank=True, help_text="The export's participant pseudonym (e.g. P17)"
    )
    details = models.JSONField(default=dict, blank=True, help_text="Counts only")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name}: {self.get_action_display()}"


# The job rows live in their own module; imported here so Django finds them with the others.
from studies.import_models import ImportBatch, ImportedItem  # noqa: E402, F401
from studies.job_models import GenerationJob, Job, ModelRun  # noqa: E402, F401
