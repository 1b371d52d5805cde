from django import forms
from django.utils.translation import gettext_lazy as _

from studies.services import AGE_BANDS

GENDER_CHOICES = [
    ("female", _("Female")),
    ("male", _("Male")),
    ("non_binary", _("Non-binary")),
    ("other", _("Other")),
    ("prefer_not_to_say", _("Prefer not to say")),
]
MUSICAL_LEVEL_CHOICES = [
    ("amateur", _("Amateur (little or no training)")),
    ("intermediate", _("Intermediate (some years of practice)")),
    ("professional", _("Professional (music is my work or study)")),
]


class ConsentForm(forms.Form):
    consent = forms.BooleanField(
        label=_("I have read the information above and agree to take part."),
        error_messages={"required": _("Please tick the box to agree before you start.")},
    )


class DemographicsForm(forms.Form):
    gender = forms.ChoiceField(label=_("Gender"), choices=GENDER_CHOICES, widget=forms.RadioSelect)
    age_band = forms.ChoiceField(
        label=_("Age"),
        choices=[(band, band.replace("_", " ")) for band in AGE_BANDS],
        widget=forms.RadioSelect,
    )
    musical_level = forms.ChoiceField(
        label=_("Musical experience"), choices=MUSICAL_LEVEL_CHOICES, widget=forms.RadioSelect
    )


class AnswerForm(forms.Form):
    trial = forms.UUIDField()
    choice = forms.IntegerField(min_value=0, max_value=5)
    rt_ms = forms.FloatField(required=False, min_value=0)
    plays = forms.IntegerField(required=False, min_value=0)
    heard_to_end = forms.BooleanField(required=False)
    fraction_heard = forms.FloatField(required=False, min_value=0, max_value=1)
    pauses = forms.IntegerField(required=False, min_value=0, max_value=1000)
    hidden_while_playing = forms.BooleanField(required=False)
    client_sent_at = forms.DateTimeField(required=False)
