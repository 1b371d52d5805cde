"""Vis2Mus studies are generated from a checkpoint and planned as the paper's three tests."""

import io
import re
from collections import Counter

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from studies import generation, services
from studies.models import GenerationJob, ModelRun, Stimulus, Study, Trial
from studies.selectors import trial_facts
from tests.modeling.vis2mus.conftest import generated_corpus_cache, tiny_checkpoint  # noqa: F401
from tests.studies.bots import Bot

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def generate(kind: str, **params) -> tuple[Study, GenerationJob]:
    """What the workers do: the model stage (gpu queue), then the build (cpu queue)."""
    study = services.study_create(name=kind, kind=kind, seed=4, design_params=params)
    job = generation.study_generate(study=study)
    prepared = generation.generation_job_prepare(job_id=job.pk)
    if prepared.status != GenerationJob.Status.FAILED:
        generation.generation_job_run(job_id=job.pk)
    job.refresh_from_db()
    study.refresh_from_db()
    return study, job


def trials_of(study: Study, phase: str = "test") -> list[Trial]:
    return list(
        Trial.objects.filter(phase__study=study, phase__kind=phase)
        .select_related("prompt")
        .prefetch_related("options__stimulus", "references__stimulus")
        .order_by("order")
    )


def picture(stimulus: Stimulus) -> np.ndarray:
    with stimulus.file.open("rb") as handle:
        return np.asarray(Image.open(io.BytesIO(handle.read())).convert("RGB"), dtype=float) / 255


def test_a_brightness_study_asks_which_clip_was_changed_like_the_picture():
    study, job = generate("vis2mus_brightness", n_anchors=2, pictures=["photo/coffee", "photo/cat"])
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    assert study.status == Study.Status.READY
    assert [a["picture"] for a in job.prepared["anchors"]] == ["photo/coffee", "photo/cat"]
    assert len({a["music"] for a in job.prepared["anchors"]}) == 2, "textures drawn with the seed"

    previews = trials_of(study, "preview")
    assert [(t.prompt.kind, t.options.get().stimulus.kind) for t in previews] == [
        ("image", "audio")
    ] * 2
    trials = trials_of(study)
    assert len(trials) == 4, "each anchor made brighter and darker"
    assert Counter(t.class_label for t in trials) == {"brighter": 2, "darker": 2}
    for trial in trials:
        assert (trial.trial_type, trial.condition) == ("transformation", "brightness")
        options = list(trial.options.all())
        assert len(options) == 2 and sum(o.is_correct for o in options) == 1
        correct = next(o for o in options if o.is_correct).stimulus
        wrong = next(o for o in options if not o.is_correct).stimulus
        strength = trial.prompt.provenance["strength"]
        assert abs(strength) == 0.5
        assert correct.provenance["strength"] == strength, "the music changed the same way"
        assert wrong.provenance["strength"] == -strength, "and the opposite way"
        assert (
            correct.provenance["music"]
            == wrong.provenance["music"]
            == trial.prompt.provenance["music"]
        )
        anchor_picture, anchor_clip = (r.stimulus for r in trial.references.all())
        assert (anchor_picture.kind, anchor_clip.kind) == ("image", "audio")
        assert anchor_picture.provenance["picture"] == trial.prompt.provenance["picture"]
        assert anchor_clip.provenance["strength"] == 0
        assert [o.stimulus.key for o in options][0].endswith("+0.5.flac"), "canonical: +a first"
        made = picture(trial.prompt).mean() - picture(anchor_picture).mean()
        assert made > 0.02 if strength > 0 else made < -0.02
        facts = trial_facts(trial)
        assert facts.minimum_listening_s == pytest.approx(correct.duration_s + wrong.duration_s)
        assert 9 < facts.minimum_listening_s < 12, "two 2-bar clips"
    assert Stimulus.objects.filter(study=study, kind="midi").count() == 6

    services.study_publish(study=study)
    bot = Bot(client=Client(), study_slug=study.slug)
    bot.take_whole_study()
    assert bot.pages.count("test") == 4


def test_a_contrast_study_changes_the_contrast_of_picture_and_music():
    study, job = generate("vis2mus_contrast", n_anchors=1, strength=1)
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    trials = trials_of(study)
    assert {t.condition for t in trials} == {"contrast"}
    assert Counter(t.class_label for t in trials) == {"more contrast": 1, "less contrast": 1}
    anchor = picture(trials[0].references.first().stimulus)
    spread = {t.class_label: picture(t.prompt).std() for t in trials}
    assert spread["more contrast"] > anchor.std() > spread["less contrast"]
    plus, minus = (job.prepared["anchors"][0][d] for d in ("plus", "minus"))
    assert plus != minus, "the two directions decode to different music"
    services.study_rows_remove(study=study)  # what a redone build does first
    assert not Stimulus.objects.filter(study=study).exists(), "references removed with trials"


def test_a_style_study_offers_every_melody_with_every_accompaniment():
    study, job = generate("vis2mus_style", n_sets=1, style_iterations=2)
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    chosen = job.prepared["sets"][0]
    assert sorted(chosen["fused"]) == ["0-0", "0-1", "1-0", "1-1"]

    previews = trials_of(study, "preview")
    assert [t.prompt.provenance["picture"] for t in previews] == [
        *chosen["sketches"],
        *chosen["style_images"],
    ]
    assert [t.options.get().stimulus.provenance["music"] for t in previews] == [
        *chosen["melodies"],
        *chosen["accompaniments"],
    ]
    trials = trials_of(study)
    assert len(trials) == 4
    option_sets = {frozenset(o.stimulus_id for o in t.options.all()) for t in trials}
    assert len(option_sets) == 1, "the set's four pieces in every trial"
    for trial in trials:
        assert (trial.trial_type, trial.condition) == ("style_fusion", "style")
        options = list(trial.options.all())
        assert len(options) == 4 and sum(o.is_correct for o in options) == 1
        correct = next(o for o in options if o.is_correct).stimulus.provenance
        sketch, style = trial.prompt.provenance["sketch"], trial.prompt.provenance["style"]
        melody = chosen["melodies"][chosen["sketches"].index(sketch)]
        accompaniment = chosen["accompaniments"][chosen["style_images"].index(style)]
        assert (correct["melody"], correct["accompaniment"]) == (melody, accompaniment)
        references = [r.stimulus for r in trial.references.all()]
        assert [r.kind for r in references] == ["image", "audio"] * 4
        assert {r.pk for r in references} == {
            s.pk for p in previews for s in (p.prompt, p.options.get().stimulus)
        }, "the preview pairs, shown again"
        assert 18 < trial_facts(trial).minimum_listening_s < 24, "four 2-bar pieces"
    correct_pieces = {next(o for o in t.options.all() if o.is_correct).stimulus_id for t in trials}
    assert len(correct_pieces) == 4, "each piece is the answer once"


def test_the_trial_page_shows_the_anchor_pair_with_links_that_tell_nothing():
    study, _ = generate("vis2mus_brightness", n_anchors=1)
    services.study_publish(study=study)
    bot = Bot(client=Client(), study_slug=study.slug)
    first = bot.reach_first_trial()
    assert "The pair you heard before" in first
    assert "Which clip was changed the same way as the picture?" in first
    assert 'aria-keyshortcuts="r"' in first
    links = re.findall(r'src="(/p/[^"]+/m/[^"]+)"', first)
    assert len(links) == len(set(links)) == 5, "anchor picture and clip, prompt, two options"
    for link in links:
        assert bot.client.get(link).status_code == 200
    trial = re.search(r'name="trial" value="([0-9a-f-]+)"', first).group(1)
    second_reply = bot.client.post(
        f"/p/{bot.token}/answer", {"trial": trial, "choice": 0, "rt_ms": 900, "plays": 3}
    ).json()
    second = second_reply["next"]
    assert len(second["references"]) == 2
    prefetched = set(re.findall(r'rel="prefetch" href="([^"]+)"', first))
    assert {r["url"] for r in second["references"]} <= prefetched, "fetched with the first trial"
    second_links = {second["prompt"]["url"], *(m["url"] for m in second["options"])}
    second_links |= {r["url"] for r in second["references"]}
    assert len(second_links) == 5 and not second_links & set(links), (
        "the same anchor and the same two clips get new links in the other trial"
    )
    german = Bot(client=Client(HTTP_ACCEPT_LANGUAGE="de"), study_slug=study.slug)
    page = german.reach_first_trial()
    assert "Das Paar, das Sie vorhin gehört haben" in page
    assert "Welcher Ausschnitt wurde auf dieselbe Weise verändert wie das Bild?" in page


def test_a_checkpoint_of_another_family_or_a_weak_model_builds_nothing(tiny_checkpoint):  # noqa: F811
    from modeling.vis2mus.stimuli import load_vis2mus, transformation_pieces

    study, wrong = generate(
        "vis2mus_brightness", n_anchors=1, checkpoint="modeling/weights/synvae_digits_beta0.5.pt"
    )
    assert wrong.status == GenerationJob.Status.FAILED
    assert wrong.problems == [
        "The checkpoint synvae_digits_beta0.5.pt holds a 'synvae' model, not a Vis2Mus "
        "chord/texture VAE."
    ]
    assert study.status == Study.Status.DRAFT
    run = ModelRun.objects.create(
        name="a SynVAE", kind=ModelRun.Kind.SYNVAE, status=ModelRun.Status.SUCCEEDED
    )
    _, wrong_run = generate("vis2mus_style", model_run=run.pk)
    assert wrong_run.problems == [f"Model run {run.pk} is not a succeeded Vis2Mus run."]

    # A tiny model trained for 20 steps has not learnt to start a note yet.
    tiny = load_vis2mus(tiny_checkpoint)
    with pytest.raises(ValueError, match="silent music for texture/3"):
        transformation_pieces(tiny, ["texture/3"], name="contrast", strength=0.5)
    study, weak = generate(
        "vis2mus_contrast", n_anchors=1, music=["texture/3"], checkpoint=str(tiny_checkpoint)
    )
    assert weak.problems == [
        "The model made silent music for texture/3 (contrast reconstruction); choose other "
        "anchors or a better-trained checkpoint."
    ]
    assert not Stimulus.objects.filter(study=study).exists()
