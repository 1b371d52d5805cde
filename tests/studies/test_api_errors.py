"""The researcher API answers every refusal the same way: a status and every problem."""

import pytest
from rest_framework.test import APIClient

from tests.studies.conftest import create_built_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(researcher) -> APIClient:
    client = APIClient()
    client.force_authenticate(researcher)
    return client


def test_refusals_carry_their_status_and_every_problem(api):
    invalid = api.post(
        "/api/studies/",
        {"name": "x", "kind": "uploaded_set", "design_params": {"n_options": 1, "size": 2}},
        format="json",
    )
    assert invalid.status_code == 400
    assert invalid.json()["problems"] == [
        "Unknown design parameter 'size'; this kind takes trial_type, n_options, "
        "n_test_trials, n_preview_per_class.",
        "n_options must be a whole number from 2 to 6",
    ]

    live = create_built_study()
    conflict = api.post(f"/api/studies/{live.pk}/generate/")
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == "The study is live; only a draft can be generated."

    unknown_format = api.get(f"/api/studies/{live.pk}/report/", {"as": "docx"})
    assert unknown_format.status_code == 400
    assert "Unknown report format 'docx'" in unknown_format.json()["problems"][0]

    assert api.post("/api/studies/999999/publish/").status_code == 404


def test_settings_and_texts_can_be_given_when_a_study_is_created(api):
    created = api.post(
        "/api/studies/",
        {
            "name": "with texts",
            "kind": "uploaded_set",
            "headphone_check": True,
            "consent_text": "You may stop at any time.",
            "exclusion_rules": {"min_answers": 5},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["headphone_check"] and body["consent_text"] == "You may stop at any time."
    assert body["exclusion_rules"] == {"min_answers": 5}
    refused = api.post(
        "/api/studies/", {"name": "x", "kind": "uploaded_set", "raters_per_trial": 0}, format="json"
    )
    assert refused.status_code == 400 and "raters_per_trial" in refused.json()
