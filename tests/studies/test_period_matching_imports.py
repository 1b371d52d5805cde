"""Period matching across media: an import of dated pictures, clips and MIDI files gives
trials with a clip and pictures to choose from, or a picture and clips."""

import hashlib
import io

import numpy as np
import pytest
from django.core.files.base import ContentFile

from studies import generation, services
from studies.import_models import ImportBatch, ImportedItem
from studies.models import GenerationJob, Trial

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def picture(seed: int) -> bytes:
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 255, size=(48, 48, 3), dtype=np.uint8)
    data = io.BytesIO()
    Image.fromarray(pixels).save(data, format="PNG")
    return data.getvalue()


def tone(pitch_hz: float) -> bytes:
    import soundfile

    t = np.arange(int(3 * 22050)) / 22050
    data = io.BytesIO()
    soundfile.write(data, 0.3 * np.sin(2 * np.pi * pitch_hz * t), 22050, format="FLAC")
    return data.getvalue()


def melody() -> bytes:
    import pretty_midi

    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    for i in range(40):
        piano.notes.append(pretty_midi.Note(80, 60 + i % 7, i * 0.25, i * 0.25 + 0.25))
    midi.instruments.append(piano)
    data = io.BytesIO()
    midi.write(data)
    return data.getvalue()


def dated_import() -> ImportBatch:
    batch = ImportBatch.objects.create(name="dated works", format=ImportBatch.Format.GENERIC)
    works = [
        ("image", 1500, ".png", picture(1)),
        ("image", 1505, ".png", picture(2)),
        ("image", 1700, ".png", picture(3)),
        ("image", 1800, ".png", picture(4)),
        ("image", 1900, ".png", picture(5)),
        ("audio", 1502, ".flac", tone(220)),
        ("audio", 1702, ".flac", tone(330)),
        ("midi", 1805, ".mid", melody()),
        ("audio", 1950, ".flac", tone(440)),
    ]
    for line, (kind, year, ext, data) in enumerate(works, start=2):
        item = ImportedItem(
            batch=batch,
            kind=kind,
            extension=ext,
            sha256=hashlib.sha256(data).hexdigest(),
            source_line=line,
            source_row={"file": f"work-{line}{ext}", "year": str(year)},
            source_file=f"work-{line}{ext}",
            title=f"A work of {year}",
            year=year,
            year_uncertainty=0,
            year_source="year column",
            duration_s=3.0 if kind == "audio" else None,
        )
        item.file.save(f"{line}{ext}", ContentFile(data), save=True)
    return batch


def generate(batch: ImportBatch, **params) -> GenerationJob:
    study = services.study_create(
        name="across media",
        kind="period_matching",
        seed=1,
        design_params={
            "import_batch": batch.pk,
            "n_trials": 2,
            "n_options": 3,
            "window": 10,
            "min_gap": 50,
            "clip_seconds": 5,
            **params,
        },
    )
    job = generation.study_generate(study=study)
    generation.generation_job_prepare(job_id=job.pk)
    generation.generation_job_run(job_id=job.pk)
    return GenerationJob.objects.get(pk=job.pk)


@pytest.mark.parametrize(
    ("media", "trial_type", "prompt_kind", "option_kind"),
    [
        ("music_to_image", Trial.Type.AUDIO_TO_IMAGE, "audio", "image"),
        ("image_to_music", Trial.Type.IMAGE_TO_AUDIO, "image", "audio"),
    ],
)
def test_an_import_gives_trials_across_media(media, trial_type, prompt_kind, option_kind):
    job = generate(dated_import(), media=media)
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    trials = Trial.objects.filter(phase__study=job.study).select_related("prompt")
    assert trials.count() == 2
    for trial in trials:
        assert trial.trial_type == trial_type and trial.prompt.kind == prompt_kind
        options = list(trial.options.select_related("stimulus"))
        assert {o.stimulus.kind for o in options} == {option_kind}
        year = trial.prompt.provenance["year"]
        answer = next(o for o in options if o.is_correct).stimulus
        assert abs(answer.provenance["year"] - year) <= 10
        assert all(
            abs(o.stimulus.provenance["year"] - year) >= 50 for o in options if not o.is_correct
        )
        pictures = [trial.prompt, *(o.stimulus for o in options)]
        assert all(s.description == "" for s in pictures), "no title tells the period"


def test_a_midi_file_of_an_import_is_played_as_a_clip():
    job = generate(dated_import(), media="image_to_music", n_trials=1, min_gap=250)
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    (trial,) = Trial.objects.filter(phase__study=job.study)
    clips = [o.stimulus for o in trial.options.all()]
    rendered = [c for c in clips if "tempo_qpm" in c.provenance]
    assert len(rendered) == 1 and rendered[0].provenance["year"] == 1805
    assert rendered[0].duration_s == pytest.approx(5.3, abs=0.1)


def test_an_import_that_the_network_cannot_embed_is_refused_in_one_sentence():
    job = generate(dated_import(), media="music_to_image", distractors="embedding")
    assert job.status == GenerationJob.Status.FAILED
    (problem,) = job.problems
    assert problem.endswith("choose distractors by year.")
    assert "the network has no image branch" in problem or "takes scores, not audio" in problem


def test_an_import_without_pictures_cannot_make_picture_trials():
    from studies.designs import DesignError, design_for

    batch = dated_import()
    ImportedItem.objects.filter(batch=batch, kind="image").delete()
    with pytest.raises(DesignError) as refused:
        design_for("period_matching").Params.from_dict(
            {"import_batch": batch.pk, "media": "music_to_image"}
        )
    assert refused.value.problems == [f"Import {batch.pk} has no dated images."]
    empty = ImportBatch.objects.create(name="nothing", format=ImportBatch.Format.GENERIC)
    with pytest.raises(DesignError) as refused:
        design_for("period_matching").Params.from_dict({"import_batch": empty.pk})
    assert refused.value.problems == [f"Import {empty.pk} has no dated items."]
