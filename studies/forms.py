from django import forms
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


class AnswerForm(forms.Form):
    trial = forms.UUIDField()
    choice = forms.IntegerField(min_value=0, max_value=5)
    # Clock readings are stored as sent (the service drops a negative page-clock time): an odd
    # reading must never cost the participant their answer.
    rt_ms = forms.FloatField(required=False)
    audio_rt_ms = forms.FloatField(required=False)
    plays = forms.IntegerField(required=False, min_value=0)
    heard_to_end = forms.BooleanField(required=False)
    fraction_heard = forms.FloatField(required=False, min_value=0, max_value=1)
    pauses = forms.IntegerField(required=False, min_value=0, max_value=1000)
    hidden_while_playing = forms.BooleanField(required=False)
    client_sent_at = forms.DateTimeField(required=False)


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
