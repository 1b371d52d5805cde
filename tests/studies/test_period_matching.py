"""A period matching study ("which of these is from the same period as this clip?") is built
from the offline corpus, taken by bots, exported and reported by year gap."""

import csv
import io
import json

import pytest
from django.test import Client

from analysis.year_gap import gap_of_class
from studies import exports, generation, reports, services
from studies.designs import DesignError, design_for
from studies.models import GenerationJob, Stimulus, Study, Trial
from studies.selectors import trial_facts
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db


def refusal(**values) -> list[str]:
    with pytest.raises(DesignError) as refused:
        design_for("period_matching").Params.from_dict(values)
    return refused.value.problems


@pytest.mark.parametrize(
    ("values", "sentence"),
    [
        ({"n_trials": 0}, "n_trials must be a whole number from 1 to 200."),
        ({"n_trials": 201}, "n_trials must be a whole number from 1 to 200."),
        ({"n_trials": "12"}, "n_trials must be a whole number from 1 to 200."),
        ({"n_options": 1}, "n_options must be a whole number from 2 to 6."),
        ({"n_options": 7}, "n_options must be a whole number from 2 to 6."),
        ({"n_options": True}, "n_options must be a whole number from 2 to 6."),
        ({"window": -1}, "window must be a whole number from 0 to 100."),
        ({"window": 10.5}, "window must be a whole number from 0 to 100."),
        ({"min_gap": 0}, "min_gap must be a whole number from 1 to 1000."),
        ({"min_gap": 1001}, "min_gap must be a whole number from 1 to 1000."),
        ({"window": 30, "min_gap": 30}, "min_gap must be more years than window."),
        ({"pool_works": 7}, "pool_works must be a whole number from 8 to 400."),
        ({"pool_works": 401}, "pool_works must be a whole number from 8 to 400."),
        (
            {"n_trials": 10, "pool_works": 20},
            "pool_works must be at least 22 for 10 trials of 3 options.",
        ),
        ({"clip_seconds": 4}, "clip_seconds must be a whole number from 5 to 30."),
        ({"clip_seconds": 31}, "clip_seconds must be a whole number from 5 to 30."),
        ({"distractors": "hard"}, "distractors must be 'year' or 'embedding'."),
        ({"media": "video"}, "media must be 'music', 'image_to_music' or 'music_to_image'."),
        (
            {"media": "music_to_image"},
            "The offline corpus has no images: media must be 'music' without an import.",
        ),
        ({"checkpoint": ""}, "checkpoint must be a path."),
        ({"model_run": 0}, "model_run must be the id of a model run."),
        ({"import_batch": "3"}, "import_batch must be the id of an import (a whole number)."),
        ({"import_batch": 999}, "There is no import 999."),
        (
            {"colour": "red"},
            "Unknown design parameter 'colour'; this kind takes n_trials, n_options, window, "
            "min_gap, distractors, import_batch, media, pool_works, clip_seconds, checkpoint, "
            "model_run.",
        ),
    ],
)
def test_each_bad_parameter_is_refused_in_one_sentence(values, sentence):
    assert refusal(**values) == [sentence]


def test_no_more_trials_than_the_site_allows(settings):
    settings.SYNLAB_MAX_TEST_TRIALS = 5
    assert refusal(n_trials=6) == ["n_trials must be a whole number from 1 to 5."]


def test_the_defaults_are_a_valid_study():
    params = design_for("period_matching").Params.from_dict({})
    assert params.to_dict()["n_options"] == 3 and params.distractors == "year"


def generate(**params) -> tuple[Study, GenerationJob]:
    study = services.study_create(
        name="Same period?",
        kind="period_matching",
        seed=2,
        design_params={
            "n_trials": 2,
            "n_options": 3,
            "window": 10,
            "min_gap": 40,
            "pool_works": 8,
            "clip_seconds": 5,
            **params,
        },
    )
    job = generation.study_generate(study=study)
    prepared = generation.generation_job_prepare(job_id=job.pk)
    if prepared.status != GenerationJob.Status.FAILED:
        generation.generation_job_run(job_id=job.pk)
    study.refresh_from_db()
    return study, GenerationJob.objects.get(pk=job.pk)


@pytest.mark.once
def test_a_study_from_the_offline_corpus_is_built_taken_exported_and_reported(client, researcher):
    study, job = generate()
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    trials = list(Trial.objects.filter(phase__study=study).select_related("prompt"))
    assert len(trials) == 2
    prompts_and_answers = []
    for trial in trials:
        assert trial.trial_type == Trial.Type.AUDIO_TO_AUDIO
        assert trial.condition == "period matching"
        options = list(trial.options.select_related("stimulus"))
        assert len(options) == 3
        answer = next(o for o in options if o.is_correct)
        prompt_year = trial.prompt.provenance["year"]
        assert abs(answer.stimulus.provenance["year"] - prompt_year) <= 10
        gaps = [
            abs(o.stimulus.provenance["year"] - prompt_year) for o in options if not o.is_correct
        ]
        assert min(gaps) >= 40
        assert trial.prompt.provenance["year_gap"] == min(gaps)
        low = gap_of_class(trial.class_label)
        assert low is not None and abs(low - min(gaps)) <= 25, "the class names the gap's band"
        assert sorted(o.identity for o in options) == [
            "distractor 2",
            "nearest distractor",
            "same period",
        ]
        prompts_and_answers += [trial.prompt.provenance["work"], answer.stimulus.provenance["work"]]
        every_clip = [trial.prompt, *(o.stimulus for o in options)]
        assert all(
            s.kind == "audio" and s.duration_s == pytest.approx(5.3, abs=0.1) for s in every_clip
        )
        # What must be heard before answering: the prompt and every option.
        assert trial_facts(trial).minimum_listening_s == pytest.approx(
            sum(s.duration_s for s in every_clip)
        )
    assert len(set(prompts_and_answers)) == 4, "no work is a prompt or an answer twice"
    assert (
        Stimulus.objects.filter(study=study, kind="midi").count()
        == Stimulus.objects.filter(study=study, kind="audio").count()
    )

    services.study_publish(study=study)
    for n in range(3):
        bot = Bot(client=Client(), study_slug=study.slug)
        # The first two know the answers; the third picks the first option on its screen.
        bot.take_whole_study(
            lambda index, html, bot=bot, n=n: bot.correct_choice(html) if n < 2 else 0
        )
        assert bot.pages.count("test") == 2

    rows = list(csv.DictReader(io.StringIO(exports.responses_csv(study))))
    assert len(rows) == 6
    assert {row["class"] for row in rows} == {t.class_label for t in trials}
    assert sum(row["chosen"] == "same period" for row in rows) >= 4

    report = reports.study_report(study=study, fmt="json")
    data = json.loads(report.body)
    assert data["conditions"]["period matching"]["n_answers"] == 6
    classes = {row["class"] for row in data["tables"]["classes"]}
    assert classes == {t.class_label for t in trials}
    assert {row["gap_band"] for row in data["tables"]["year_gap_bands"]} == classes
    assert sum(row["n_answers"] for row in data["tables"]["year_gap_bands"]) == 6
    html = reports.study_report(study=study, fmt="html").body.decode()
    assert "Accuracy by year gap (period matching)" in html
