"""A researcher uploads a set; the platform checks it and builds phases and trials."""

import pytest

from studies import generation, services
from studies.errors import InvalidInput
from studies.models import GenerationJob, Phase, Stimulus, Study, Trial, TrialOption
from tests.factories import png_broken_after_header, silent_wav, upload_zip
from tests.studies.conftest import as_upload, create_built_study

pytestmark = pytest.mark.django_db


def create_and_generate(data: bytes, **params) -> tuple[Study, GenerationJob]:
    study = services.study_create(
        name="set",
        kind="uploaded_set",
        design_params=params or {"n_options": 3},
        upload=as_upload(data),
    )
    job = generation.study_generate(study=study)
    job = generation.generation_job_run(job_id=job.pk)
    study.refresh_from_db()
    return study, job


def test_a_valid_set_becomes_a_ready_study_with_preview_and_test_trials():
    study = create_built_study(publish=False)
    preview = Phase.objects.get(study=study, kind=Phase.Kind.PREVIEW)
    test = Phase.objects.get(study=study, kind=Phase.Kind.TEST)
    assert preview.trials.count() == 3  # one example pair per class
    assert test.trials.count() == 9  # every test row is a trial
    for trial in test.trials.all():
        options = list(trial.options.all())
        assert len(options) == 3
        assert sum(option.is_correct for option in options) == 1
        assert len({option.identity for option in options}) == 3, "one option per class"
        correct = next(option for option in options if option.is_correct)
        assert correct.identity == trial.class_label == trial.prompt.class_label
        assert trial.prompt.kind == Stimulus.Kind.AUDIO
        assert all(option.stimulus.kind == Stimulus.Kind.IMAGE for option in options)


def test_stored_stimuli_are_measured_hashed_and_named_opaquely():
    study = create_built_study(publish=False)
    clip = Stimulus.objects.filter(study=study, kind="audio").first()
    assert clip.duration_s == pytest.approx(0.4, abs=0.01)
    assert len(clip.sha256) == 64
    assert clip.sha256 in clip.file.name
    assert (
        "red" not in clip.file.name
        and "green" not in clip.file.name
        and "blue" not in clip.file.name
    )
    image = Stimulus.objects.filter(study=study, kind="image").first()
    assert (image.width, image.height) == (32, 32)
    assert image.description.startswith("A ")


def test_the_same_seed_builds_the_same_trials():
    first = create_built_study(publish=False)
    second = create_built_study(publish=False)

    def layout(study):
        return [
            (t.prompt.key, [o.stimulus.key for o in t.options.all()])
            for t in Trial.objects.filter(phase__study=study, phase__kind="test").order_by("order")
        ]

    assert layout(first) == layout(second)


def test_image_prompt_trials_offer_audio_options():
    study, job = create_and_generate(upload_zip(), trial_type="image_to_audio", n_options=2)
    assert job.status == GenerationJob.Status.SUCCEEDED
    trial = Trial.objects.filter(phase__study=study, phase__kind="test").first()
    assert trial.prompt.kind == "image"
    assert [o.stimulus.kind for o in trial.options.all()] == ["audio", "audio"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"this is not a zip", "not a readable zip"),
        (upload_zip(drop_files=("manifest.csv",)), "no manifest.csv"),
        (
            upload_zip(drop_files=("audio/red_test_0.wav",)),
            "'audio/red_test_0.wav' is not in the zip",
        ),
        (
            upload_zip(extra_rows="images/x.png,audio/x.wav,red,test,\n"),
            "'images/x.png' is not in the zip",
        ),
        (upload_zip(extra_rows=",audio/red_test_0.wav,red,test,\n"), "the image column is empty"),
        (
            upload_zip(extra_rows="images/red_test_0.png,audio/red_test_0.wav,red,practice,\n"),
            "role must be",
        ),
    ],
)
def test_a_broken_upload_is_refused_at_once_with_a_clear_message(data, expected):
    with pytest.raises(InvalidInput) as caught:
        services.study_create(name="broken", kind="uploaded_set", upload=as_upload(data))
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    assert not Study.objects.exists()


def test_a_manifest_without_required_columns_lists_them():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.csv", "picture,sound\na.png,a.wav\n")
    with pytest.raises(InvalidInput) as caught:
        services.study_create(name="x", kind="uploaded_set", upload=as_upload(buffer.getvalue()))
    assert caught.value.problems == ["manifest.csv is missing the column(s): image, audio, class."]


def test_media_broken_past_their_headers_fail_the_build_listing_each_file_and_creates_nothing():
    data = upload_zip(
        replace_files={
            "audio/green_test_1.wav": silent_wav(),
            "images/blue_test_2.png": png_broken_after_header(),
        }
    )
    study, job = create_and_generate(data)
    assert job.status == GenerationJob.Status.FAILED
    assert study.status == Study.Status.DRAFT
    assert len(job.problems) == 2
    assert any("audio/green_test_1.wav: the clip is silent" in p for p in job.problems)
    assert any("images/blue_test_2.png: not a readable image" in p for p in job.problems)
    assert study.build_problems == job.problems
    assert not Stimulus.objects.exists()
    assert not Phase.objects.exists()
    assert not TrialOption.objects.exists()


def test_too_few_classes_for_the_options_is_explained():
    study, job = create_and_generate(upload_zip(classes=("red", "green")), n_options=3)
    assert job.status == GenerationJob.Status.FAILED
    assert "only 2 class(es)" in job.problems[0]
    assert not Trial.objects.exists()


def test_unknown_design_parameters_are_refused():
    with pytest.raises(InvalidInput) as caught:
        services.study_create(
            name="x", kind="uploaded_set", design_params={"n_options": 9, "colour": "red"}
        )
    assert (
        "Unknown design parameter 'colour'; this kind takes trial_type, n_options, "
        "n_test_trials, n_preview_per_class." in caught.value.problems
    )
    assert "n_options must be a whole number from 2 to 6" in caught.value.problems


def test_a_failed_study_can_be_fixed_with_a_new_upload_and_generated_again():
    broken = {"images/red_test_0.png": png_broken_after_header()}
    study, job = create_and_generate(upload_zip(replace_files=broken))
    assert study.status == Study.Status.DRAFT
    services.study_replace_upload(study=study, upload=as_upload(upload_zip()))
    job = generation.generation_job_run(job_id=generation.study_generate(study=study).pk)
    study.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED
    assert study.status == Study.Status.READY
    assert study.build_problems == []


def test_running_a_finished_job_again_does_nothing():
    study = create_built_study(publish=False)
    job = study.jobs.get()
    assert generation.generation_job_run(job_id=job.pk) is None
    assert Trial.objects.filter(phase__study=study).count() == 12


def test_only_a_ready_study_can_be_published_and_only_a_live_one_closed():
    study = services.study_create(name="x", kind="uploaded_set", upload=as_upload(upload_zip()))
    with pytest.raises(services.Conflict):
        services.study_publish(study=study)
    with pytest.raises(services.Conflict):
        services.study_close(study=study)
