"""The affect kinds drawing on an import with emotion labels (ImportedItem.label as the class)
instead of the generated set."""

import hashlib
import io

import pytest
from django.core.files.base import ContentFile

from studies import generation, services
from studies.designs import DesignError, design_for
from studies.import_models import ImportBatch, ImportedItem
from studies.models import GenerationJob, Stimulus, Trial

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
CLASSES = ("positive", "neutral", "negative")


def imported(batch: ImportBatch, *, kind: str, label: str, line: int, data: bytes, ext: str):
    item = ImportedItem(
        batch=batch,
        kind=kind,
        extension=ext,
        sha256=hashlib.sha256(data).hexdigest(),
        source_line=line,
        source_row={"file": f"{kind}-{line}{ext}", "emotion": label},
        source_file=f"{kind}-{line}{ext}",
        title=f"Item from line {line}",
        label=label,
        duration_s=4.3 if kind == "audio" else None,
    )
    item.file.save(f"{line}{ext}", ContentFile(data), save=True)
    return item


def emotion_import(
    *, with_audio: bool = True, with_images: bool = True, per_class: int = 2
) -> ImportBatch:
    """An IMAC-style import: pictures and clips (made like the generated set's) per class."""
    from PIL import Image

    from modeling.affect.generated import PLANTED
    from modeling.affect.generated_images import draw_image
    from modeling.affect.generated_music import clip_audio

    batch = ImportBatch.objects.create(name="IMAC-style", format=ImportBatch.Format.IMAC_IMAGES)
    line = 2
    for label in CLASSES:
        music, picture = PLANTED[label]
        for seed in range(per_class):
            png = io.BytesIO()
            Image.fromarray(draw_image(picture, seed=seed, size=64)).save(png, format="PNG")
            if with_images:
                data = png.getvalue()
                imported(batch, kind="image", label=label, line=line, data=data, ext=".png")
            if with_audio:
                flac, _ = clip_audio(music, seed=seed)
                imported(batch, kind="audio", label=label, line=line, data=flac, ext=".flac")
            line += 1
    return batch


def build(kind: str, **params) -> list[Trial]:
    study = services.study_create(name=kind, kind=kind, seed=2, design_params=params)
    job = generation.study_generate(study=study)
    if hasattr(design_for(kind), "prepare"):
        generation.generation_job_prepare(job_id=job.pk)
    job = generation.generation_job_run(job_id=job.pk)
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    return list(Trial.objects.filter(phase__study=study, phase__kind="test"))


def test_an_import_without_clips_is_refused_with_one_sentence():
    batch = emotion_import(with_audio=False, per_class=1)
    with pytest.raises(DesignError) as refused:
        design_for("emotion_matching").Params.from_dict({"import_batch": batch.pk})
    assert refused.value.problems == [f"Import {batch.pk} has no labelled audio clips."]


def test_emotion_matching_and_acpnet_pairs_come_from_the_imports_labelled_items():
    batch = emotion_import()
    trials = build("emotion_matching", import_batch=batch.pk, n_test_trials=3)
    for trial in trials:
        assert trial.prompt.provenance["import_batch"] == batch.pk
        (correct,) = trial.options.filter(is_correct=True)
        assert correct.stimulus.class_label == trial.prompt.class_label
        assert correct.stimulus.provenance["imported_item"] in set(
            batch.items.values_list("pk", flat=True)
        )
    pairs = build("affect_matching", import_batch=batch.pk, n_pairs=3)
    assert sorted(t.class_label for t in pairs) == ["does not fit"] * 3 + ["fits"] * 3
    for trial in pairs:  # ACP-Net reads the imported files' 193-d vectors and pictures
        picture = trial.references.get().stimulus
        assert (picture.class_label == trial.prompt.class_label) == (trial.class_label == "fits")
        assert picture.description.startswith("Item from line")
    assert not Stimulus.objects.filter(kind="midi", study__kind="affect_matching").exists()


def test_imacs_two_imports_pictures_from_one_and_clips_from_the_other():
    """IMAC arrives as an image CSV and a music list: two imports, one study."""
    pictures = emotion_import(with_audio=False)
    music = emotion_import(with_images=False)
    with pytest.raises(DesignError) as refused:
        design_for("emotion_matching").Params.from_dict({"music_batch": music.pk})
    assert refused.value.problems == [
        "music_batch needs import_batch, the import the pictures come from"
    ]
    trials = build(
        "emotion_matching", import_batch=pictures.pk, music_batch=music.pk, n_test_trials=3
    )
    for trial in trials:
        assert trial.prompt.provenance["import_batch"] == music.pk
        for option in trial.options.all():
            assert option.stimulus.provenance["import_batch"] == pictures.pk
