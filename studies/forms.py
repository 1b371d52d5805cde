import json
import math
from datetime import UTC, timedelta

from django import forms
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from studies import held_uploads, services
from studies.designs import kind_choices, kind_parameters
from studies.errors import ServiceError
from studies.models import Participant, Study
from studies.reports import exclusion_rules_problems
from studies.study_texts import (
    CONSENT_MAX_CHARS,
    NAME_MAX_CHARS,
    TRANSLATED_FIELDS,
    other_languages,
)


class ConsentForm(forms.Form):
    consent = forms.BooleanField(
        label=_("I have read the information above and agree to take part."),
        error_messages={"required": _("Please tick the box to agree before you start.")},
    )


class DemographicsForm(forms.Form):
    """The options are the model's choices (Participant.Gender, .AgeBand, .MusicalLevel)."""

    gender = forms.ChoiceField(
        label=_("Gender"), choices=Participant.Gender.choices, widget=forms.RadioSelect
    )
    age_band = forms.ChoiceField(
        label=_("Age"), choices=Participant.AgeBand.choices, widget=forms.RadioSelect
    )
    musical_level = forms.ChoiceField(
        label=_("Musical experience"),
        choices=Participant.MusicalLevel.choices,
        widget=forms.RadioSelect,
    )


DAY_MS = 24 * 3600 * 1000
CLIENT_CLOCK_WINDOW = timedelta(days=1)
MAX_READING_CHARS = 64
IMPLAUSIBLE = object()  # a reading that was sent but cannot be true


class Reading(forms.Field):
    """A number the participant's browser measured, stored only when it can be true.

    Unreadable, not finite or outside [low, high] -> not stored (None) and listed by the form
    in `implausible`: an odd reading (a clock that jumped, a tampered request) is noted, but
    never costs the participant their answer.
    """

    def __init__(self, *, low: float, high: float, whole: bool = False, **kwargs):
        super().__init__(required=False, **kwargs)
        self.low, self.high, self.whole = low, high, whole

    def clean(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        try:
            number = float(text) if len(text) <= MAX_READING_CHARS else math.nan
        except ValueError:
            return IMPLAUSIBLE
        if not (math.isfinite(number) and self.low <= number <= self.high):
            return IMPLAUSIBLE
        if self.whole:
            return int(number) if number.is_integer() else IMPLAUSIBLE
        return number


class ClientClock(forms.Field):
    """The browser's clock when it sent the answer (ISO 8601); within a day of the server's."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def clean(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        try:
            moment = parse_datetime(text) if len(text) <= MAX_READING_CHARS else None
            if moment is None:
                return IMPLAUSIBLE
            if timezone.is_naive(moment):
                moment = moment.replace(tzinfo=UTC)
            if abs(moment - timezone.now()) > CLIENT_CLOCK_WINDOW:
                return IMPLAUSIBLE
            return moment.astimezone(UTC)
        except (ValueError, OverflowError):  # e.g. year 9999 at -14:00 is year 10000 in UTC
            return IMPLAUSIBLE


class AnswerForm(forms.Form):
    """An answer: the trial and the chosen position must be right, or it is refused; the
    readings that come with it are bounded (see Reading), and noted when implausible."""

    trial = forms.UUIDField()
    choice = forms.IntegerField(min_value=0, max_value=5)
    rt_ms = Reading(low=-DAY_MS, high=DAY_MS)  # below 0 (a clock that jumped) is unknown
    audio_rt_ms = Reading(low=-DAY_MS, high=DAY_MS)
    plays = Reading(low=0, high=1000, whole=True)
    heard_to_end = forms.BooleanField(required=False)
    fraction_heard = Reading(low=0, high=1)
    pauses = Reading(low=0, high=1000, whole=True)
    hidden_while_playing = forms.BooleanField(required=False)
    client_sent_at = ClientClock()

    def clean(self):
        cleaned = super().clean()
        implausible = [name for name, value in cleaned.items() if value is IMPLAUSIBLE]
        for name in implausible:
            cleaned[name] = None
        cleaned["implausible"] = implausible
        return cleaned

    def refusal(self) -> str:
        """What to tell the participant when the answer itself cannot be taken."""
        if "choice" in self.errors:
            return _("Please choose one of the options.")
        return _("This answer could not be read. Please reload the page and answer again.")


class PowerPlanForm(forms.Form):
    accuracy = forms.FloatField(
        min_value=0.01,
        max_value=0.99,
        initial=0.6,
        help_text="The accuracy you expect (or the smallest worth finding)",
    )
    n_options = forms.IntegerField(min_value=2, max_value=6, initial=3, label="Options per trial")
    alpha = forms.FloatField(min_value=0.001, max_value=0.2, initial=0.05)
    power = forms.FloatField(min_value=0.5, max_value=0.99, initial=0.8)
    trials_per_participant = forms.IntegerField(min_value=1, max_value=500, initial=20)
    simulate_mixed = forms.BooleanField(
        required=False, initial=False, label="Also simulate the mixed model (slower)"
    )

    def clean(self):
        cleaned = super().clean()
        accuracy, n_options = cleaned.get("accuracy"), cleaned.get("n_options")
        if accuracy and n_options and accuracy <= 1 / n_options:
            raise forms.ValidationError("The accuracy must be above chance (1 / options).")
        return cleaned


# ----- the researcher's study forms (admin) ----------------------------------------------------


def translation_field_name(text: str, code: str) -> str:
    return f"{text}_{code.replace('-', '_')}"


def translation_fields() -> dict[str, forms.Field]:
    """A name and a consent text field for each of the site's other languages."""
    fields = {}
    for code, language in other_languages():
        fields[translation_field_name("name", code)] = forms.CharField(
            label=f"Name ({language})",
            required=False,
            max_length=NAME_MAX_CHARS,
            help_text=f"What participants reading {language} see; empty: the name above.",
        )
        fields[translation_field_name("consent_text", code)] = forms.CharField(
            label=f"Consent text ({language})",
            required=False,
            max_length=CONSENT_MAX_CHARS,
            widget=forms.Textarea,
            help_text=f"What participants reading {language} agree to; empty: the consent "
            "text above (if that is empty too, the platform's own text in their language).",
        )
    return fields


StudyTranslationFields = type("StudyTranslationFields", (forms.Form,), translation_fields())
TRANSLATION_FIELD_NAMES = tuple(StudyTranslationFields.base_fields)


class StudyForm(StudyTranslationFields, forms.ModelForm):
    """A study's settings: the field rules and Study.clean() run as the form is cleaned; the
    exclusion rules are checked as the reports will read them; the name and consent text in
    the other languages are stored together as Study.translations."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.translations if isinstance(self.instance.translations, dict) else {}
        for code, _language in other_languages():
            texts = stored.get(code) if isinstance(stored.get(code), dict) else {}
            for text in TRANSLATED_FIELDS:
                self.initial.setdefault(translation_field_name(text, code), texts.get(text, ""))

    def clean_exclusion_rules(self):
        rules = self.cleaned_data.get("exclusion_rules")
        problems = exclusion_rules_problems(rules if rules is not None else {})
        if problems:
            raise forms.ValidationError(problems)
        return rules

    def clean(self):
        cleaned = super().clean()
        translations = {}
        for code, _language in other_languages():
            texts = {
                text: cleaned.get(translation_field_name(text, code), "").strip()
                for text in TRANSLATED_FIELDS
            }
            if any(texts.values()):
                translations[code] = {text: value for text, value in texts.items() if value}
        cleaned["translations"] = self.instance.translations = translations
        return cleaned

    def translations_changed(self) -> bool:
        return any(name in self.changed_data for name in TRANSLATION_FIELD_NAMES)


class StudyAddForm(StudyForm):
    """A new study. The design parameters are checked by Study.clean() (the form runs it); the
    box lists each kind's parameters from the designs' declarations. A zip that passed its
    checks is kept for the next try when something else is wrong (studies.held_uploads)."""

    kind = forms.ChoiceField(choices=kind_choices)
    held_upload = forms.CharField(required=False, widget=forms.HiddenInput)
    owner_id: int | None = None  # the researcher's user id: StudyAdmin.get_form sets it

    class Meta:
        model = Study
        fields = [
            "name",
            "kind",
            *Study.DESIGN_FIELDS,
            "source_upload",
            *Study.SETTINGS_FIELDS,
            *Study.TEXT_FIELDS,
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["design_params"].help_text = design_params_reference()

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        upload = cleaned.get("source_upload")
        token = cleaned.get("held_upload")
        if not upload and token:
            upload = held_uploads.upload_held(token=token, owner_id=self.owner_id)
            if upload is None:
                self.add_error("source_upload", HELD_UPLOAD_GONE)
            cleaned["source_upload"] = upload
        if kind and upload:
            try:
                services.check_upload_structure(kind=kind, upload=upload)
            except ServiceError as error:
                self.add_error("source_upload", error.problems)
        return cleaned

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self.errors and "source_upload" not in self.errors:
            self.keep_upload()

    def keep_upload(self) -> None:
        """The checked zip waits on the server for the next try (a file input cannot be
        refilled); the form carries its token and says so next to the file field."""
        upload = self.cleaned_data.get("source_upload")
        token = self.data.get("held_upload", "")
        if not upload or self.owner_id is None:
            return
        if self.files.get("source_upload"):  # a new file replaces the one kept before
            held_uploads.upload_release(token=token, owner_id=self.owner_id)
            held = held_uploads.upload_hold(upload=upload, owner_id=self.owner_id)
            token, name, size = held.token, held.name, held.size
        else:
            name, size = upload.name, upload.size
        self.data = self.data.copy()
        self.data["held_upload"] = token
        note = format_html(
            "Kept from your last try: <strong>{}</strong> ({} kB). Leave this empty to use it, "
            "or choose another zip.",
            name,
            max(1, round(size / 1024)),
        )
        # The bound field copied the help text while the form was cleaned: set both.
        self.fields["source_upload"].help_text = self["source_upload"].help_text = note


HELD_UPLOAD_GONE = (
    "The zip you chose before is no longer kept (zips are kept for a day); please choose it again."
)


def design_params_reference() -> str:
    """Each kind's parameters with their defaults and meanings, read from the designs."""
    kinds = [
        {
            "kind": kind,
            "label": label,
            "defaults": json.dumps(
                {p.name: p.default for p in params if p.default is not None}, default=str
            ),
            "params": [
                {
                    "name": p.name,
                    "default": "empty" if p.default is None else json.dumps(p.default, default=str),
                    "meaning": p.meaning,
                }
                for p in params
            ],
        }
        for kind, label, params in kind_parameters()
    ]
    return render_to_string("admin/studies/study/design_params_help.html", {"kinds": kinds})
