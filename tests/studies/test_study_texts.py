"""A study speaks the participant's language: its name and consent text per language, edited in
the admin, falling back to the default language's; the questionnaire's options translated."""

import re

import pytest
from django.test import Client

from studies import services
from studies.errors import InvalidInput
from tests.studies.bots import Bot
from tests.studies.test_researcher_admin import add_form

pytestmark = pytest.mark.django_db

GERMAN_CONSENT = "Sie hören kurze Musikstücke.\n\nSie können jederzeit aufhören."


def change_form(study, **changes) -> dict:
    form = add_form(name=study.name, consent_text=study.consent_text, **changes)
    for fixed in ("kind", "design_params", "seed", "source_upload"):
        form.pop(fixed)
    form["jobs-TOTAL_FORMS"] = form["jobs-INITIAL_FORMS"] = 1
    form["jobs-0-id"] = study.jobs.get().pk
    form["jobs-0-study"] = study.pk
    return form


def header_and_title(page: str) -> tuple[str, str]:
    header = re.search(r'<p class="study-name">(.*?)</p>', page).group(1)
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    return header, title


def test_a_german_name_and_consent_text_set_in_the_admin_reach_german_participants(
    client, researcher, live_study
):
    services.study_update(study=live_study, changes={"consent_text": "You will hear short clips."})
    client.force_login(researcher)
    page = client.get(f"/admin/studies/study/{live_study.pk}/change/").content.decode()
    assert "Name (Deutsch)" in page and "Consent text (Deutsch)" in page
    form = change_form(live_study, name_de="Farbe und Tonhöhe", consent_text_de=GERMAN_CONSENT)
    saved = client.post(f"/admin/studies/study/{live_study.pk}/change/", form)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    live_study.refresh_from_db()
    assert live_study.translations == {
        "de": {"name": "Farbe und Tonhöhe", "consent_text": GERMAN_CONSENT}
    }
    again = client.get(f"/admin/studies/study/{live_study.pk}/change/").content.decode()
    assert 'value="Farbe und Tonhöhe"' in again, "the admin shows what is stored"

    german = Client(HTTP_ACCEPT_LANGUAGE="de").get(f"/s/{live_study.slug}/").content.decode()
    assert header_and_title(german) == ("Farbe und Tonhöhe", "Farbe und Tonhöhe")
    assert "<p>Sie hören kurze Musikstücke.</p>" in german
    assert "Sie können jederzeit aufhören." in german and "short clips" not in german

    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/s/{live_study.slug}/").content.decode()
    assert header_and_title(english) == ("Colour and pitch", "Colour and pitch")
    assert "You will hear short clips." in english and "Musikstücke" not in english

    swiss = Bot(client=Client(HTTP_ACCEPT_LANGUAGE="de-CH"), study_slug=live_study.slug)
    swiss.open_link(), swiss.consent()
    assert header_and_title(swiss.page().content.decode())[0] == "Farbe und Tonhöhe"


def test_what_is_not_translated_falls_back_to_the_default_language(client, live_study):
    services.study_update(
        study=live_study,
        changes={
            "consent_text": "You will hear short clips.",
            "translations": {"de": {"name": "Farbe und Tonhöhe"}},
        },
    )
    german = Client(HTTP_ACCEPT_LANGUAGE="de").get(f"/s/{live_study.slug}/").content.decode()
    assert header_and_title(german)[0] == "Farbe und Tonhöhe"
    assert "You will hear short clips." in german, "no German consent text: the default one"

    services.study_update(study=live_study, changes={"consent_text": "", "translations": {}})
    german = Client(HTTP_ACCEPT_LANGUAGE="de").get(f"/s/{live_study.slug}/").content.decode()
    assert header_and_title(german)[0] == "Colour and pitch"
    assert "Ihre Antworten" in german, "no consent text at all: the platform's own, in German"


def test_a_study_added_with_its_german_texts_keeps_them(client, researcher):
    client.force_login(researcher)
    form = add_form(name_de="Farbe und Tonhöhe", consent_text_de="Sie können aufhören.")
    assert client.post("/admin/studies/study/add/", form).status_code == 302
    study = services.Study.objects.get()
    assert study.translations == {
        "de": {"name": "Farbe und Tonhöhe", "consent_text": "Sie können aufhören."}
    }


@pytest.mark.parametrize(
    ("translations", "sentence"),
    [
        ({"fr": {"name": "Couleur"}}, "translations: 'fr' is not a language of this site (de)."),
        ({"de": "Farbe"}, "translations: 'de' must hold name and consent_text."),
        (
            {"de": {"title": "Farbe"}},
            "translations: 'de' has no text called 'title' (only name and consent_text).",
        ),
        ({"de": {"name": 3}}, "translations: the de name must be a text."),
        ({"de": {"name": "x" * 201}}, "translations: the de name is longer than 200 characters."),
        (["de"], "translations must be an object keyed by language code."),
    ],
)
def test_translations_that_cannot_be_shown_are_refused(translations, sentence):
    with pytest.raises(InvalidInput) as caught:
        services.study_create(name="x", kind="uploaded_set", translations=translations)
    assert caught.value.problems == [sentence]


def test_prefer_not_to_say_is_capitalised_and_german_under_german(live_study):
    for language, label, other in (
        ("en", "Prefer not to say", "Keine Angabe"),
        ("de", "Keine Angabe", "refer not to say"),
    ):
        bot = Bot(client=Client(HTTP_ACCEPT_LANGUAGE=language), study_slug=live_study.slug)
        bot.open_link(), bot.consent()
        page = bot.page().content.decode()
        labels = re.findall(r'<label for="id_(?:gender|age_band)_\d+">([^<]*)</label>', page)
        assert labels.count(label) == 2, labels
        assert other not in page and "prefer not to say" not in page
