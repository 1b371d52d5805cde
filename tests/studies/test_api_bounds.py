"""Every number the researcher API takes is bounded: past a bound, or negative, or not a
number, the answer is a 400 naming the field and the range, never a 500."""

import json
from dataclasses import fields

import pytest
from rest_framework.test import APIClient

from analysis import ExclusionRules
from studies import services
from studies.models import Study
from studies.reports import EXCLUSION_RULES
from tests.studies.conftest import create_built_study

pytestmark = pytest.mark.django_db

HUGE = 2**64


@pytest.fixture
def api(researcher) -> APIClient:
    client = APIClient()
    client.force_authenticate(researcher)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"limit": HUGE}, "?limit= must be a whole number from 1 to 1000."),
        ({"limit": 2**63}, "?limit= must be a whole number from 1 to 1000."),
        ({"limit": -1}, "?limit= must be a whole number from 1 to 1000."),
        ({"limit": 0}, "?limit= must be a whole number from 1 to 1000."),
        ({"limit": 1001}, "?limit= must be a whole number from 1 to 1000."),
        ({"limit": "ten"}, "?limit= must be a whole number from 1 to 1000."),
        ({"limit": "²"}, "?limit= must be a whole number from 1 to 1000."),
        ({"offset": HUGE}, "?offset= must be a whole number from 0 to 2147483647."),
        ({"offset": -5}, "?offset= must be a whole number from 0 to 2147483647."),
    ],
)
def test_paging_beyond_its_bounds_is_refused(api, query, problem):
    refused = api.get("/api/studies/", query)
    assert refused.status_code == 400
    assert refused.json()["problems"] == [problem]


def test_paging_within_its_bounds_pages(api):
    for name in ("first", "second", "third"):
        services.study_create(name=name, kind="uploaded_set")
    first = api.get("/api/studies/", {"limit": 2}).json()
    assert first["count"] == 3 and len(first["results"]) == 2
    rest = api.get("/api/studies/", {"limit": 1000, "offset": 2}).json()
    assert len(rest["results"]) == 1
    assert api.get("/api/studies/", {"offset": 2**31 - 1}).json()["results"] == []


@pytest.mark.parametrize(
    "field", ["seed", "raters_per_trial", "trials_per_participant", "abandon_after_minutes"]
)
@pytest.mark.parametrize("value", [HUGE, 2**63, -1])
def test_study_numbers_beyond_their_bounds_are_refused(api, field, value):
    for body, fmt in (({field: value}, "json"), ({field: str(value)}, "multipart")):
        refused = api.post(
            "/api/studies/", {"name": "x", "kind": "uploaded_set", **body}, format=fmt
        )
        assert refused.status_code == 400, refused.content[:300]
        assert field in refused.json()
    assert not Study.objects.exists()


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"n_test_trials": HUGE}, "n_test_trials must be a whole number from 1 to 10000"),
        ({"n_options": -3}, "n_options must be a whole number from 2 to 6"),
        ({"n_preview_per_class": HUGE}, "n_preview_per_class must be a whole number from 0"),
        ({"n_preview_per_class": 1.5}, "n_preview_per_class must be a whole number from 0"),
    ],
)
def test_design_numbers_beyond_their_bounds_are_refused(api, params, problem):
    refused = api.post(
        "/api/studies/",
        {"name": "x", "kind": "uploaded_set", "design_params": params},
        format="json",
    )
    assert refused.status_code == 400
    assert any(problem in p for p in refused.json()["problems"]), refused.json()


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"n_test_trials": HUGE}, "n_test_trials must be a whole number from 1 to 10000"),
        ({"candidates_per_class": 10**9}, "candidates_per_class must be a whole number"),
        ({"n_classes": True}, "n_classes must be a whole number from 2 to 6"),
        ({"model_run": HUGE}, "model_run must be the id of a model run"),
        ({"checkpoint": ["a", "list"]}, "checkpoint must be a path"),
    ],
)
def test_generated_study_numbers_beyond_their_bounds_are_refused(api, params, problem):
    refused = api.post(
        "/api/studies/",
        {"name": "x", "kind": "synvae_matching", "design_params": params},
        format="json",
    )
    assert refused.status_code == 400
    assert any(problem in p for p in refused.json()["problems"]), refused.json()


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        ({"min_answers": HUGE}, "Exclusion rule min_answers must be a whole number from 0"),
        ({"min_answers": "five"}, "Exclusion rule min_answers must be a whole number from 0"),
        ({"max_failed_catch": -1}, "Exclusion rule max_failed_catch must be a whole number"),
        ({"min_median_rt_ms": 1e300}, "Exclusion rule min_median_rt_ms must be a number"),
        ({"use_excluded_flag": "yes"}, "Exclusion rule use_excluded_flag must be true or false."),
        ({"drop_everyone": True}, "Unknown exclusion rule 'drop_everyone'"),
    ],
)
def test_exclusion_rules_that_a_report_could_not_apply_are_refused(api, rules, problem):
    refused = api.post(
        "/api/studies/",
        {"name": "x", "kind": "uploaded_set", "exclusion_rules": rules},
        format="json",
    )
    assert refused.status_code == 400
    assert any(problem in p for p in refused.json()["problems"]), refused.json()


def test_a_report_on_rules_stored_before_these_checks_says_what_is_wrong(api):
    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(exclusion_rules={"min_answers": "five"})
    report = api.get(f"/api/studies/{study.pk}/report/")
    assert report.status_code == 400
    assert "Exclusion rule min_answers must be a whole number" in report.json()["problems"][0]


def test_ids_beyond_any_row_are_not_found(api):
    for study_id in (HUGE, 2**63, 2**31):
        assert api.get(f"/api/studies/{study_id}/").status_code == 404
        assert api.post(f"/api/studies/{study_id}/publish/").status_code == 404


def test_the_schema_states_the_bounds_and_the_unpaged_lists(api):
    paths = json.loads(api.get("/api/schema/", {"format": "json"}).content)["paths"]
    paged = {p["name"]: p["schema"] for p in paths["/api/studies/"]["get"]["parameters"]}
    assert paged["limit"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert paged["offset"]["maximum"] == 2**31 - 1
    for listing in ("stimuli", "participants", "jobs"):
        parameters = paths[f"/api/studies/{{id}}/{listing}/"]["get"]["parameters"]
        assert [p["name"] for p in parameters] == ["id"], "returned whole, not paged"


def test_the_exclusion_rule_checks_know_every_rule_the_analysis_has():
    assert set(EXCLUSION_RULES) == {rule.name for rule in fields(ExclusionRules)}


def test_the_admin_refuses_the_same_exclusion_rules(client, researcher):
    client.force_login(researcher)
    form = {
        "name": "x",
        "kind": "uploaded_set",
        "design_params": "{}",
        "seed": 0,
        "raters_per_trial": 10,
        "abandon_after_minutes": 30,
        "headphone_pass_mark": 5,
        "exclusion_rules": json.dumps({"min_answers": "five"}),
        "jobs-TOTAL_FORMS": 0,
        "jobs-INITIAL_FORMS": 0,
    }
    page = client.post("/admin/studies/study/add/", form)
    assert page.status_code == 200
    errors = page.context["adminform"].form.errors["exclusion_rules"]
    assert errors == [
        "Exclusion rule min_answers must be a whole number from 0 to 100000, or null for off."
    ]
    assert not Study.objects.exists()
    study = create_built_study()
    form.pop("kind"), form.pop("design_params"), form.pop("seed")
    form |= {"jobs-TOTAL_FORMS": 1, "jobs-INITIAL_FORMS": 1, "jobs-0-id": study.jobs.get().pk}
    form |= {"jobs-0-study": study.pk, "exclusion_rules": json.dumps({"max_failed_catch": -2})}
    page = client.post(f"/admin/studies/study/{study.pk}/change/", form)
    assert page.status_code == 200
    assert "max_failed_catch must be a whole number" in str(page.context["adminform"].form.errors)
