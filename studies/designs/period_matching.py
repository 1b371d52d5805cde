"""Period matching (n-AFC; Nguyen, after Hasenfus, Martindale & Birnbaum 1983): which of these
is from the same period as this clip?

Each trial plays (or shows) a prompt and offers `n_options` options: one work made within
`window` years of the prompt (the answer) and distractors made at least `min_gap` years
away, chosen at random (`distractors="year"`) or as the works nearest the prompt in the
chronological embedding (`"embedding"`: near in the embedding, far in time). Works come
from the offline music corpus (music21's scores, rendered as clips on one piano: the offline
study is music only) or from an import (`import_batch`: its dated images, audio clips and
MIDI files; `media` says which way a trial goes). The choosing is modeling.chronology.matching.

Stages: `prepare` (gpu queue) draws and parses the corpus works (or reads the import),
embeds them with the chronology checkpoint when distractors come from the embedding, and
chooses the trials with the study's seed; `build` (cpu queue) renders the clips and stores
every stimulus. Each trial's class names the band of its gap (the years between the prompt
and the nearest distractor, analysis.year_gap), so the report shows accuracy by gap and fits
accuracy against it; the exact gap is in the prompt's provenance.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from analysis.year_gap import gap_class_label
from studies.designs import (
    DesignError,
    DesignParams,
    OptionPlan,
    PhasePlan,
    StudyPlan,
    TrialPlan,
    param,
    whole_number,
)
from studies.designs.checkpoints import model_checkpoint
from studies.media import MediaError, probe_audio
from studies.models import ModelRun, Phase, Study, Trial
from studies.stimuli import StimulusStore

KIND = "period_matching"
LABEL = "Period matching (which is from the same period?)"
DEFAULT_CHECKPOINT = "modeling/weights/chronology_cpu_demo.pt"
MAX_ID = 2**63 - 1
MAX_TRIALS = 200
MAX_POOL = 400
CONDITION = "period matching"
MEDIA = {  # media -> (trial type, prompt modality, option modality)
    "music": (Trial.Type.AUDIO_TO_AUDIO, "music", "music"),
    "image_to_music": (Trial.Type.IMAGE_TO_AUDIO, "image", "music"),
    "music_to_image": (Trial.Type.AUDIO_TO_IMAGE, "music", "image"),
}
ANSWER = "same period"


@dataclass(frozen=True)
class Params(DesignParams):
    n_trials: int = param(
        12, f"Test trials, 1 to {MAX_TRIALS}; no work is a prompt or answer twice."
    )
    n_options: int = param(3, "Options per trial, 2 to 6: one from the same period, the rest not.")
    window: int = param(10, "The answer was made within this many years of the prompt, 0 to 100.")
    min_gap: int = param(
        20,
        "Every distractor was made at least this many years from the prompt, 1 to 1000; "
        "more than window.",
    )
    distractors: str = param(
        "year",
        "How distractors are chosen: year (at random among the works min_gap or more years "
        "away) or embedding (of those, the nearest to the prompt in the chronology model).",
    )
    import_batch: int | None = param(
        None, "The id of an import with dated works to use; empty: the offline music corpus."
    )
    media: str = param(
        "music",
        "music (a clip, clips to choose from), image_to_music or music_to_image (imports with "
        "images only).",
    )
    pool_works: int = param(
        60, f"Offline corpus works drawn and parsed, 8 to {MAX_POOL} (more: slower, more choice)."
    )
    clip_seconds: int = param(15, "Length of every clip made from a score, 5 to 30 seconds.")
    checkpoint: str = param(
        DEFAULT_CHECKPOINT,
        "The chronology checkpoint used for distractors by embedding (when model_run is empty).",
    )
    model_run: int | None = param(
        None, "The id of a succeeded chronology model run to use instead of the checkpoint."
    )

    def problems(self) -> list[str]:
        problems = []
        ranges = {
            "n_trials": (1, min(MAX_TRIALS, settings.SYNLAB_MAX_TEST_TRIALS)),
            "n_options": (2, 6),
            "window": (0, 100),
            "min_gap": (1, 1000),
            "pool_works": (8, MAX_POOL),
            "clip_seconds": (5, 30),
        }
        for name, (low, high) in ranges.items():
            if not whole_number(getattr(self, name), low, high):
                problems.append(f"{name} must be a whole number from {low} to {high}.")
        if not problems and self.window >= self.min_gap:
            problems.append("min_gap must be more years than window.")
        if not problems and self.import_batch is None and self.pool_works < self.works_needed:
            problems.append(
                f"pool_works must be at least {self.works_needed} for {self.n_trials} trials "
                f"of {self.n_options} options."
            )
        if self.distractors not in ("year", "embedding"):
            problems.append("distractors must be 'year' or 'embedding'.")
        if self.media not in MEDIA:
            problems.append("media must be 'music', 'image_to_music' or 'music_to_image'.")
        elif self.media != "music" and self.import_batch is None:
            problems.append(
                "The offline corpus has no images: media must be 'music' without an import."
            )
        if not isinstance(self.checkpoint, str) or not self.checkpoint.strip():
            problems.append("checkpoint must be a path.")
        if self.model_run is not None and not whole_number(self.model_run, 1, MAX_ID):
            problems.append("model_run must be the id of a model run.")
        if self.import_batch is not None:
            problems += self.import_problems()
        return problems

    @property
    def works_needed(self) -> int:
        return 2 * self.n_trials + self.n_options - 1

    def import_problems(self) -> list[str]:
        from studies.importing.selectors import batch_problems, imported_items

        problems = batch_problems(self.import_batch, dated=True, name="import_batch")
        if problems or self.media not in MEDIA:
            return problems
        _, prompt, option = MEDIA[self.media]
        dated = imported_items(self.import_batch, dated=True)
        for modality in sorted({prompt, option}):
            kinds, what = MODALITY_KINDS[modality]
            if not dated.filter(kind__in=kinds).exists():
                problems.append(f"Import {self.import_batch} has no dated {what}.")
        return problems


MODALITY_KINDS = {"image": (["image"], "images"), "music": (["audio", "midi"], "music")}


def checkpoint_path(params: Params) -> Path:
    return model_checkpoint(
        checkpoint=params.checkpoint,
        model_run=params.model_run,
        kind=ModelRun.Kind.CHRONOLOGY,
        family="chronology",
    )


# ----- the model stage (gpu queue) -------------------------------------------------------------


def prepare(*, study: Study) -> dict:
    """Draw the works, embed them when distractors come from the embedding, choose trials."""
    from modeling.chronology.matching import MatchingError, choose_matching_trials

    params = Params.from_dict(study.design_params)
    _, prompt_modality, option_modality = MEDIA[params.media]
    if params.import_batch is None:
        works, candidates = corpus_works(params, seed=study.seed)
    else:
        works, candidates = imported_works(params)
    model_facts, embeddings = {}, None
    if params.distractors == "embedding":
        model_facts, embeddings = embedded(params, works)
    try:
        trials = choose_matching_trials(
            candidates,
            n_trials=params.n_trials,
            n_options=params.n_options,
            window=params.window,
            min_gap=params.min_gap,
            prompt_modality=prompt_modality,
            option_modality=option_modality,
            distractors=params.distractors,
            embeddings=embeddings,
            seed=study.seed,
        )
    except MatchingError as error:
        raise DesignError([str(error)]) from error
    used = {key for trial in trials for key in (trial.prompt, trial.answer, *trial.distractors)}
    return {
        **model_facts,
        "source": "corpus" if params.import_batch is None else f"import {params.import_batch}",
        "distractors": params.distractors,
        "works": {key: works[key] for key in sorted(used)},
        "trials": [trial.to_dict() for trial in trials],
    }


def corpus_works(params: Params, *, seed: int) -> tuple[dict, list]:
    from modeling.chronology.matching import PoolWork, corpus_pool

    pool = corpus_pool(size=params.pool_works, seed=seed, window=params.window)
    works = {work.key: {"modality": "music", **work.to_dict()} for work in pool}
    candidates = [PoolWork.from_dict(work.to_dict()).candidate() for work in pool]
    return works, candidates


def imported_works(params: Params) -> tuple[dict, list]:
    """Every dated image, audio clip and MIDI file of the import; clips of one recording are
    one work."""
    from modeling.chronology.matching import Candidate
    from studies.importing.selectors import imported_items

    works, candidates = {}, []
    for item in imported_items(params.import_batch, dated=True):
        key = f"item-{item.pk}"
        modality = "image" if item.kind == "image" else "music"
        work = f"{item.source_line}:{item.source_file}"
        works[key] = {
            "modality": modality,
            "item": item.pk,
            "kind": item.kind,
            "year": float(item.year),
            "uncertainty": item.year_uncertainty,
            "dated_by": item.year_source,
            "title": item.title,
            "creator": item.creator,
            "work": work,
        }
        candidates.append(Candidate(key, work, float(item.year), modality))
    return works, candidates


def embedded(params: Params, works: dict) -> tuple[dict, dict]:
    """(what the provenance says about the model, key -> embedding) for every work."""
    from modeling.checkpoint_io import CheckpointError, file_sha256
    from modeling.chronology.generate import ChronologyEmbedder

    path = checkpoint_path(params)
    try:
        embedder = ChronologyEmbedder.from_checkpoint(path)
    except CheckpointError as error:
        raise DesignError([f"The chronology checkpoint could not be loaded: {error}"]) from error
    embeddings = {}
    for key, work in works.items():
        try:
            embeddings[key] = embedding_of(embedder, work)
        except ValueError as error:
            raise DesignError([f"{key} could not be embedded: {error}"]) from error
    return {"checkpoint": path.name, "checkpoint_sha256": file_sha256(path)}, embeddings


def embedding_of(embedder, work: dict) -> list[float]:
    """A work's point in the embedding: its clip's score features, or the imported file's
    features as the network expects them; refused where the network lacks that input."""
    import numpy as np

    from modeling.chronology.matching import clip_features

    config = embedder.model.config
    if work["modality"] == "image" and not config.with_image_branch:
        raise ValueError("the network has no image branch; choose distractors by year.")
    if work["modality"] == "music" and not config.with_music_branch:
        raise ValueError("the network has no music branch; choose distractors by year.")
    if "notes" in work:
        if config.music_features != "score":
            raise ValueError("the network takes audio, not scores; choose distractors by year.")
        return embedder.embed_features("music", clip_features(work["notes"])[None])[0].tolist()
    data, suffix = imported_file(work["item"])
    if work["kind"] == "audio" and config.music_features != "audio":
        raise ValueError("the network takes scores, not audio; choose distractors by year.")
    if work["kind"] == "midi" and config.music_features != "score":
        raise ValueError("the network takes audio, not MIDI; choose distractors by year.")
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(data)
        handle.flush()
        if work["kind"] == "image":
            return embedder.embed_image_files([handle.name])[0].tolist()
        return np.asarray(embedder.embed_music_file(handle.name)).tolist()


def imported_file(item_id: int) -> tuple[bytes, str]:
    from studies.importing.selectors import item_media
    from studies.models import ImportedItem

    item = ImportedItem.objects.get(pk=item_id)
    data, _ = item_media(item)
    return data, item.extension


# ----- the build stage (cpu queue) -------------------------------------------------------------


def build(*, study: Study, prepared: dict, store: StimulusStore) -> StudyPlan:
    """Render and store every work a trial uses, then plan the trials."""
    from modeling.chronology.matching import MatchingTrial

    params = Params.from_dict(study.design_params)
    trial_type = MEDIA[params.media][0]
    trials = [MatchingTrial.from_dict(t) for t in prepared["trials"]]
    prompts = {trial.prompt: (number, trial.gap) for number, trial in enumerate(trials, 1)}
    stored = {}
    for key, work in prepared["works"].items():
        role = {"trial": prompts[key][0], "year_gap": prompts[key][1]} if key in prompts else {}
        stored[key] = store_work(store, key, work, params=params, prepared=prepared, role=role)
    plans = [
        TrialPlan(
            trial_type=trial_type,
            prompt=stored[trial.prompt],
            options=[
                OptionPlan(stored[trial.answer], is_correct=True, identity=ANSWER),
                *(
                    OptionPlan(stored[key], is_correct=False, identity=identity)
                    for key, identity in distractor_identities(trial, prepared["works"])
                ),
            ],
            class_label=gap_class_label(trial.gap),
            condition=CONDITION,
        )
        for trial in trials
    ]
    return StudyPlan(phases=[PhasePlan(kind=Phase.Kind.TEST, title="Which period?", trials=plans)])


def distractor_identities(trial, works: dict) -> list[tuple[str, str]]:
    """Distractors nearest the prompt's year first: "nearest distractor", "distractor 2", ...
    (the categories raters agree on are the same in every trial)."""
    year = works[trial.prompt]["year"]
    ordered = sorted(trial.distractors, key=lambda key: (abs(works[key]["year"] - year), key))
    names = ["nearest distractor", *(f"distractor {n}" for n in range(2, len(ordered) + 1))]
    return list(zip(ordered, names, strict=True))


def store_work(
    store: StimulusStore, key: str, work: dict, *, params: Params, prepared: dict, role: dict
) -> str:
    """The work as participants get it (a clip or a picture); its stimulus key."""
    provenance = {
        "source": prepared["source"],
        "year": work["year"],
        "year_uncertainty": work.get("uncertainty"),
        "dated_by": work["dated_by"],
        "distractors": prepared["distractors"],
        **{k: prepared[k] for k in ("checkpoint", "checkpoint_sha256") if k in prepared},
        **role,
    }
    if "notes" in work:
        return store_corpus_clip(
            store, key, work, seconds=params.clip_seconds, provenance=provenance
        )
    return store_imported(store, key, work, seconds=params.clip_seconds, provenance=provenance)


def store_corpus_clip(
    store: StimulusStore, key: str, work: dict, *, seconds: int, provenance: dict
) -> str:
    stem = "corpus/" + key.replace("#", "-").rsplit(".", 1)[0]
    provenance = {**provenance, "work": key, "piece": work["work"], "composer": work["composer"]}
    return store_clip(store, stem, work["notes"], seconds=seconds, provenance=provenance)


def store_clip(store: StimulusStore, stem: str, rows: list, *, seconds: int, provenance: dict):
    """Note rows played on one piano for `seconds`, as a clip and as MIDI; the clip's key."""
    from modeling.chronology.matching import clip_files, clip_tempo_qpm

    provenance = {**provenance, "tempo_qpm": round(clip_tempo_qpm(rows), 1), "instrument": "piano"}
    try:
        audio, midi = clip_files(rows, seconds=seconds)
        original = probe_audio(audio, name=f"{stem}.flac")
    except (ValueError, MediaError) as error:
        raise DesignError([f"{stem}: {error}"]) from error
    store.media(key=f"{stem}.flac", data=audio, original=original, provenance=provenance)
    store.midi(key=f"{stem}.mid", data=midi, class_label="", provenance=provenance)
    return f"{stem}.flac"


def store_imported(
    store: StimulusStore, key: str, work: dict, *, seconds: int, provenance: dict
) -> str:
    """An imported picture or clip as it is (no title: it could tell the period); a MIDI
    file rendered as a clip like the corpus' scores."""
    from studies.importing.selectors import item_media
    from studies.models import ImportedItem

    item = ImportedItem.objects.get(pk=work["item"])
    data, original = item_media(item)
    provenance = {
        **provenance,
        "import_item": item.pk,
        "title": item.title,
        "creator": item.creator,
    }
    stem = f"import/{item.pk}"
    if item.kind == "midi":
        rows = midi_rows(data, name=item.source_file)
        return store_clip(store, stem, rows, seconds=seconds, provenance=provenance)
    try:
        store.media(
            key=f"{stem}{item.extension}", data=data, original=original, provenance=provenance
        )
    except MediaError as error:
        raise DesignError([f"Imported item {item.pk}: {error}"]) from error
    return f"{stem}{item.extension}"


def midi_rows(data: bytes, *, name: str) -> list:
    """The notes of an imported MIDI file's first clip, as [onset, duration, pitch, part]."""
    from modeling.chronology.scores import cut_clips, notes_from_midi

    with tempfile.NamedTemporaryFile(suffix=".mid") as handle:
        handle.write(data)
        handle.flush()
        try:
            clips = cut_clips(notes_from_midi(handle.name))
        except ValueError as error:
            raise DesignError([f"{name}: {error}"]) from error
    if not clips:
        raise DesignError([f"{name} has too few notes for a clip."])
    clip = clips[0]
    return [
        [float(o), float(d), int(p), int(q)]
        for o, d, p, q in zip(clip.onset, clip.duration, clip.pitch, clip.part, strict=True)
    ]
