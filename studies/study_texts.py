"""A study's name and consent text per language: what participants read in their language.

The study's own `name` and `consent_text` are the texts in the default language
(settings.LANGUAGE_CODE). `Study.translations` may hold them for the other languages the site
speaks (settings.LANGUAGES), as {"de": {"name": "...", "consent_text": "..."}}; a text that is
missing or empty there falls back to the default, so a study never shows an empty name.
"""

from dataclasses import dataclass

from django.conf import settings

TRANSLATED_FIELDS = ("name", "consent_text")
NAME_MAX_CHARS = 200  # Study.name's length
CONSENT_MAX_CHARS = 20_000


@dataclass(frozen=True)
class StudyTexts:
    name: str
    consent_text: str


def other_languages() -> list[tuple[str, str]]:
    """The site's languages besides the default: (code, name), e.g. ("de", "Deutsch")."""
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def texts_in(*, name: str, consent_text: str, translations: dict, language: str) -> StudyTexts:
    """The texts for `language` ("de-ch" reads "de-ch", then "de"), else the default's."""
    candidates = [language, language.split("-")[0]] if language else []
    chosen = next(
        (translations[code] for code in candidates if isinstance(translations.get(code), dict)),
        {},
    )
    return StudyTexts(
        name=chosen.get("name") or name,
        consent_text=chosen.get("consent_text") or consent_text,
    )


def translation_problems(translations) -> list[str]:
    """What is wrong with a study's translations, one sentence each (any JSON may arrive)."""
    if not isinstance(translations, dict):
        return ["translations must be an object keyed by language code."]
    codes = dict(other_languages())
    problems = []
    for code, texts in translations.items():
        if code not in codes:
            known = ", ".join(codes) or "none"
            problems.append(f"translations: {code!r} is not a language of this site ({known}).")
            continue
        if not isinstance(texts, dict):
            problems.append(f"translations: {code!r} must hold name and consent_text.")
            continue
        problems += [
            f"translations: {code!r} has no text called {key!r} (only name and consent_text)."
            for key in texts
            if key not in TRANSLATED_FIELDS
        ]
        problems += text_problems(code, texts)
    return problems


def text_problems(code: str, texts: dict) -> list[str]:
    limits = {"name": NAME_MAX_CHARS, "consent_text": CONSENT_MAX_CHARS}
    problems = []
    for key, limit in limits.items():
        value = texts.get(key, "")
        if not isinstance(value, str):
            problems.append(f"translations: the {code} {key} must be a text.")
        elif len(value) > limit:
            problems.append(f"translations: the {code} {key} is longer than {limit} characters.")
        elif "\x00" in value:
            problems.append(f"translations: the {code} {key} contains a NUL character.")
    return problems
