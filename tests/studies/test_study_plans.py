"""A design plans a study (stimuli stored, trials described); the services create the rows."""

from pathlib import Path

import pytest

from studies import services
from studies.designs import DesignError, OptionPlan, PhasePlan, StudyPlan, TrialPlan, uploaded_set
from studies.errors import InvalidInput
from studies.models import Phase, Stimulus, Trial
from studies.stimuli import StimulusStore
from tests.factories import upload_zip
from tests.studies.conftest import as_upload

pytestmark = pytest.mark.django_db


def uploaded_study(name: str = "planned"):
    return services.study_create(
        name=name,
        kind="uploaded_set",
        design_params={"n_options": 3, "n_preview_per_class": 1},
        seed=7,
        upload=as_upload(upload_zip()),
    )


def test_the_design_plans_the_trials_and_the_service_creates_them():
    study = uploaded_study()
    store = StimulusStore(study=study)
    plan = uploaded_set.build(study=study, store=store)
    assert not Phase.objects.exists() and not Stimulus.objects.exists(), "the design writes no row"
    assert [(p.kind, len(p.trials)) for p in plan.phases] == [("preview", 3), ("test", 9)]
    assert plan.stimulus_keys() <= {stimulus.key for stimulus in store.stimuli}
    assert all(Path(stimulus.file.path).exists() for stimulus in store.stimuli)
    services.study_plan_create(study=study, plan=plan, stimuli=store.stimuli)
    rows = Trial.objects.filter(phase__study=study, phase__kind="test").order_by("order")
    planned = plan.phases[1].trials
    assert [t.prompt.key for t in rows] == [t.prompt for t in planned]
    assert [t.class_label for t in rows] == [t.class_label for t in planned]
    first = rows[0].options.order_by("order")
    assert [(o.stimulus.key, o.is_correct, o.identity) for o in first] == [
        (o.stimulus, o.is_correct, o.identity) for o in planned[0].options
    ]


def test_a_plan_naming_a_stimulus_that_was_not_stored_creates_nothing():
    study = uploaded_study()
    option = OptionPlan(stimulus="images/nowhere.png", is_correct=True, identity="red")
    trial = TrialPlan(trial_type="audio_to_image", prompt="audio/red_test_0.wav", options=[option])
    plan = StudyPlan(phases=[PhasePlan(kind="test", title="Test", trials=[trial])])
    with pytest.raises(DesignError) as caught:
        services.study_plan_create(study=study, plan=plan)
    assert "audio/red_test_0.wav, images/nowhere.png" in caught.value.problems[0]
    assert not Phase.objects.filter(study=study).exists()


def test_study_settings_are_checked_and_the_design_is_fixed_once_created():
    with pytest.raises(InvalidInput) as caught:
        services.study_create(
            name="x", kind="uploaded_set", raters_per_trial=0, completion_url="not a link"
        )
    assert set(caught.value.problems) == {
        "raters_per_trial: Ensure this value is greater than or equal to 1.",
        "completion_url: Enter a valid URL.",
    }
    with pytest.raises(InvalidInput) as caught:
        services.study_create(name="x", kind="no_such_kind")
    assert caught.value.problems == ["Unknown study kind 'no_such_kind'"]

    study = services.study_create(name="x", kind="uploaded_set", design_params={"n_options": 2})
    assert study.design_params == {
        "trial_type": "audio_to_image",
        "n_options": 2,
        "n_preview_per_class": 4,
    }, "stored with the design's defaults"
    services.study_update(study=study, changes={"raters_per_trial": 5, "consent_text": "Hi"})
    study.refresh_from_db()
    assert (study.raters_per_trial, study.consent_text) == (5, "Hi")
    with pytest.raises(InvalidInput, match="Fixed once the study is created: seed"):
        services.study_update(study=study, changes={"seed": 3})
