"""Forced-choice matching from an uploaded set: a zip of images, audio and a CSV manifest.

manifest.csv, one row per image/audio pair that belongs together:
    image,audio,class[,role][,description]
    images/cat_1.png,audio/cat_1.wav,cat,test,"A sleeping cat"
`role` is `test` (default), `preview`, or `catch` (an attention check with an obvious answer,
e.g. a spoken "choose the red square": given to every participant, kept out of the accuracy
statistics, used by the exclusion rules); `description` is the image's alt text. Paths are relative
to the manifest. Each test row becomes a trial: its clip (or image) is the prompt, its partner is
the correct option, and partners of rows from other classes, drawn with the study's seed, are the
distractors, one class per option.
"""

import csv
import io
import random
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings

from studies.designs import (
    DesignError,
    DesignParams,
    OptionPlan,
    PhasePlan,
    StudyPlan,
    TrialPlan,
)
from studies.media import MediaError, MediaInfo, probe_audio, probe_image
from studies.models import Phase, Study, Trial
from studies.stimuli import stimulus_store

KIND = "uploaded_set"
LABEL = "Forced-choice matching from an uploaded set"
MANIFEST_NAME = "manifest.csv"
REQUIRED_COLUMNS = ("image", "audio", "class")
ROLES = ("test", "preview", "catch")
TRIAL_TYPES = tuple(Trial.Type.values)


@dataclass(frozen=True)
class Params(DesignParams):
    trial_type: str = Trial.Type.AUDIO_TO_IMAGE
    n_options: int = 3
    n_test_trials: int | None = None
    n_preview_per_class: int = 4

    def problems(self) -> list[str]:
        problems = []
        if self.trial_type not in TRIAL_TYPES:
            problems.append(f"trial_type must be one of {', '.join(TRIAL_TYPES)}")
        if not isinstance(self.n_options, int) or not 2 <= self.n_options <= 6:
            problems.append("n_options must be a whole number from 2 to 6")
        if self.n_test_trials is not None and (
            not isinstance(self.n_test_trials, int) or self.n_test_trials < 1
        ):
            problems.append("n_test_trials must be a positive whole number (or empty for all)")
        if not isinstance(self.n_preview_per_class, int) or self.n_preview_per_class < 0:
            problems.append("n_preview_per_class must be a whole number, 0 or more")
        return problems


@dataclass(frozen=True)
class ManifestRow:
    line: int
    image: str
    audio: str
    class_label: str
    role: str
    description: str


@dataclass
class UploadPlan:
    rows: list[ManifestRow]
    members: dict[str, str]  # manifest path -> zip member name
    media: dict[str, MediaInfo] = field(default_factory=dict)

    def rows_with_role(self, role: str) -> list[ManifestRow]:
        return [row for row in self.rows if row.role == role]


def inspect_upload(source: IO[bytes], *, check_media: bool) -> UploadPlan:
    """Read and check an uploaded zip; raise DesignError listing every problem found."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as error:
        raise DesignError([f"The upload is not a readable zip file ({error})."]) from error
    with archive:
        return plan_from_archive(archive, check_media=check_media)


def plan_from_archive(archive: zipfile.ZipFile, *, check_media: bool) -> UploadPlan:
    problems = archive_problems(archive)
    if problems:
        raise DesignError(problems)
    manifest_member = find_manifest(archive)
    base = PurePosixPath(manifest_member).parent
    rows, problems = parse_manifest(archive.read(manifest_member))
    members = {name: member_path(base, name) for row in rows for name in (row.image, row.audio)}
    present = set(archive.namelist())
    for row in rows:
        for column, name in (("image", row.image), ("audio", row.audio)):
            if members[name] not in present:
                problems.append(
                    f"Manifest line {row.line}: {column} file {name!r} is not in the zip."
                )
    plan = UploadPlan(rows=rows, members=members)
    if check_media and not problems:
        problems += probe_plan_media(archive, plan)
    if problems:
        raise DesignError(problems)
    return plan


def archive_problems(archive: zipfile.ZipFile) -> list[str]:
    problems = []
    try:
        broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, NotImplementedError) as error:
        return [f"The zip file is damaged ({error})."]
    if broken:
        problems.append(f"The zip file is damaged: {broken!r} fails its checksum.")
    total = sum(info.file_size for info in archive.infolist())
    if total > settings.SYNLAB_MAX_UPLOAD_BYTES:
        problems.append(
            f"The zip unpacks to {total / 1e6:.0f} MB, more than the "
            f"{settings.SYNLAB_MAX_UPLOAD_BYTES / 1e6:.0f} MB allowed."
        )
    for name in archive.namelist():
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            problems.append(f"The zip contains an unsafe path {name!r}.")
    if not any(PurePosixPath(name).name == MANIFEST_NAME for name in archive.namelist()):
        problems.append(f"The zip has no {MANIFEST_NAME}.")
    return problems


def find_manifest(archive: zipfile.ZipFile) -> str:
    candidates = [n for n in archive.namelist() if PurePosixPath(n).name == MANIFEST_NAME]
    return min(candidates, key=lambda name: (len(PurePosixPath(name).parts), name))


def member_path(base: PurePosixPath, name: str) -> str:
    return str(base / name) if str(base) != "." else name


def parse_manifest(raw: bytes) -> tuple[list[ManifestRow], list[str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [f"{MANIFEST_NAME} is not UTF-8 text."]
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return [], [f"{MANIFEST_NAME} is missing the column(s): {', '.join(missing)}."]
    reader.fieldnames = columns
    rows, problems = [], []
    for line, record in enumerate(reader, start=2):
        row, row_problems = manifest_row(line, record)
        problems += row_problems
        if row:
            rows.append(row)
    if not rows and not problems:
        problems.append(f"{MANIFEST_NAME} has no rows.")
    return rows, problems


def manifest_row(line: int, record: dict) -> tuple[ManifestRow | None, list[str]]:
    def value(column: str) -> str:
        return (record.get(column) or "").strip()

    problems = [
        f"Manifest line {line}: the {c} column is empty." for c in REQUIRED_COLUMNS if not value(c)
    ]
    role = value("role").lower() or "test"
    if role not in ROLES:
        problems.append(
            f"Manifest line {line}: role must be 'test', 'preview' or 'catch', not {role!r}."
        )
    if problems:
        return None, problems
    row = ManifestRow(
        line=line,
        image=value("image"),
        audio=value("audio"),
        class_label=value("class"),
        role=role,
        description=value("description"),
    )
    return row, []


def probe_plan_media(archive: zipfile.ZipFile, plan: UploadPlan) -> list[str]:
    problems = []
    probes = {row.image: probe_image for row in plan.rows} | {
        row.audio: probe_audio for row in plan.rows
    }
    for name, probe in probes.items():
        try:
            plan.media[name] = probe(archive.read(plan.members[name]), name=name)
        except MediaError as error:
            problems.append(str(error))
    return problems


def design_problems(params: Params, plan: UploadPlan) -> list[str]:
    test_rows = plan.rows_with_role("test")
    classes = {row.class_label for row in test_rows}
    problems = []
    if not test_rows:
        problems.append("The manifest has no test rows.")
    elif len(classes) < params.n_options:
        problems.append(
            f"Trials need {params.n_options} options from different classes, but the test rows "
            f"have only {len(classes)} class(es): {', '.join(sorted(classes))}."
        )
    if params.n_test_trials and params.n_test_trials > len(test_rows):
        problems.append(
            f"n_test_trials is {params.n_test_trials} but the manifest has only "
            f"{len(test_rows)} test rows."
        )
    return problems


def build(*, study: Study) -> StudyPlan:
    """Store the set's media (keyed by their manifest paths) and plan the trials."""
    params = Params.from_dict(study.design_params)
    if not study.source_upload:
        raise DesignError(["The study has no uploaded set."])
    with study.source_upload.open("rb") as source, zipfile.ZipFile(source) as archive:
        upload = plan_from_archive(archive, check_media=True)
        problems = design_problems(params, upload)
        if problems:
            raise DesignError(problems)
        store_stimuli(study=study, archive=archive, plan=upload)
    rng = random.Random(study.seed)
    preview = preview_phase(plan=upload, params=params)
    test = matching_phase(plan=upload, params=params, rng=rng)
    test.trials.extend(catch_trials(plan=upload, params=params, rng=rng))
    return StudyPlan(phases=[phase for phase in (preview, test) if phase.trials])


def store_stimuli(*, study: Study, archive: zipfile.ZipFile, plan: UploadPlan) -> None:
    descriptions = {row.image: row.description for row in plan.rows if row.description}
    classes = {name: row.class_label for row in plan.rows for name in (row.image, row.audio)}
    for name, original in plan.media.items():
        try:
            stimulus_store(
                study=study,
                key=name,
                data=archive.read(plan.members[name]),
                original=original,
                class_label=classes[name],
                description=descriptions.get(name, ""),
                provenance={"source": "upload", "member": plan.members[name]},
            )
        except MediaError as error:
            raise DesignError([f"{name}: {error}"]) from error


def prompt_and_answer(row: ManifestRow, trial_type: str) -> tuple[str, str]:
    if trial_type == Trial.Type.AUDIO_TO_IMAGE:
        return row.audio, row.image
    return row.image, row.audio


def preview_phase(*, plan: UploadPlan, params: Params) -> PhasePlan:
    """The first preview rows of each class, shown as worked examples."""
    by_class = rows_by_class(plan.rows_with_role("preview"))
    chosen = [
        row for label in sorted(by_class) for row in by_class[label][: params.n_preview_per_class]
    ]
    trials = [trial_plan(row=row, options=[(row, True)], params=params) for row in chosen]
    return PhasePlan(kind=Phase.Kind.PREVIEW, title="Examples", trials=trials)


def matching_phase(*, plan: UploadPlan, params: Params, rng: random.Random) -> PhasePlan:
    test_rows = plan.rows_with_role("test")
    rng.shuffle(test_rows)
    chosen = test_rows[: params.n_test_trials or len(test_rows)]
    by_class = rows_by_class(test_rows)
    trials = [
        trial_plan(row=row, options=matching_options(row, by_class, params, rng), params=params)
        for row in chosen
    ]
    return PhasePlan(kind=Phase.Kind.TEST, title="Test", trials=trials)


def catch_trials(*, plan: UploadPlan, params: Params, rng: random.Random) -> list[TrialPlan]:
    """Catch rows become test trials whose distractors come from other classes."""
    by_class = rows_by_class(plan.rows_with_role("test"))
    return [
        trial_plan(
            row=row,
            options=matching_options(row, by_class, params, rng),
            params=params,
            is_catch=True,
        )
        for row in plan.rows_with_role("catch")
    ]


def matching_options(row: ManifestRow, by_class: dict, params: Params, rng) -> list[tuple]:
    """The row's own partner, then one partner from each of n_options - 1 other classes."""
    other_classes = sorted(label for label in by_class if label != row.class_label)
    distractor_classes = rng.sample(other_classes, params.n_options - 1)
    return [(row, True)] + [(rng.choice(by_class[c]), False) for c in distractor_classes]


def trial_plan(*, row: ManifestRow, options: list[tuple], params: Params, is_catch=False):
    """One trial: the row's prompt, and options given as (row, is_correct) in canonical order."""
    prompt, _ = prompt_and_answer(row, params.trial_type)
    return TrialPlan(
        trial_type=params.trial_type,
        prompt=prompt,
        options=[
            OptionPlan(
                stimulus=prompt_and_answer(option_row, params.trial_type)[1],
                is_correct=is_correct,
                identity=option_row.class_label,
            )
            for option_row, is_correct in options
        ],
        class_label=row.class_label,
        condition="catch" if is_catch else "main",
        is_catch=is_catch,
    )


def rows_by_class(rows: list[ManifestRow]) -> dict[str, list[ManifestRow]]:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.class_label].append(row)
    return dict(grouped)
