import math
from datetime import UTC, timedelta

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from studies.models import Participant


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
