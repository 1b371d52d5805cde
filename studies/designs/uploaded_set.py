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
import itertools
import random
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
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
    param,
    whole_number,
)
from studies.media import MediaError, MediaInfo, identify_media, probe_audio, probe_image
from studies.models import Phase, Stimulus, Study, Trial
from studies.stimuli import StimulusStore
from studies.zip_upload import MANIFEST_NAME, capped, open_archive, read_member

KIND = "uploaded_set"
LABEL = "Forced-choice matching from an uploaded set"
REQUIRED_COLUMNS = ("image", "audio", "class")
ROLES = ("test", "preview", "catch")
TRIAL_TYPES = (Trial.Type.AUDIO_TO_IMAGE, Trial.Type.IMAGE_TO_AUDIO)  # screens without references
MAX_PREVIEW_PER_CLASS = 100
# The longest value of each manifest column: what the stimulus rows can hold.
MAX_LENGTHS = {
    "image": Stimulus._meta.get_field("key").max_length,
    "audio": Stimulus._meta.get_field("key").max_length,
    "class": Stimulus._meta.get_field("class_label").max_length,
    "description": Stimulus._meta.get_field("description").max_length,
}


@dataclass(frozen=True)
class Params(DesignParams):
    trial_type: str = param(
        Trial.Type.AUDIO_TO_IMAGE,
        "audio_to_image: a clip, then pictures to choose from; image_to_audio: a picture, then "
        "clips to choose from.",
    )
    n_options: int = param(
        3, "Options per trial, 2 to 6, each from a different class (the set needs that many)."
    )
    n_test_trials: int | None = param(
        None,
        "How many of the manifest's test rows become trials, 1 to SYNLAB_MAX_TEST_TRIALS "
        "(10,000 by default); empty: all of them.",
    )
    n_preview_per_class: int = param(
        4, "Worked examples per class shown before the trials (preview rows), 0 to 100."
    )

    def problems(self) -> list[str]:
        problems = []
        most_trials = settings.SYNLAB_MAX_TEST_TRIALS
        if self.trial_type not in TRIAL_TYPES:
            problems.append(f"trial_type must be one of {', '.join(TRIAL_TYPES)}")
        if not whole_number(self.n_options, 2, 6):
            problems.append("n_options must be a whole number from 2 to 6")
        if self.n_test_trials is not None and not whole_number(self.n_test_trials, 1, most_trials):
            problems.append(
                f"n_test_trials must be a whole number from 1 to {most_trials} (or empty for all)"
            )
        if not whole_number(self.n_preview_per_class, 0, MAX_PREVIEW_PER_CLASS):
            problems.append(
                f"n_preview_per_class must be a whole number from 0 to {MAX_PREVIEW_PER_CLASS}"
            )
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

    def rows_with_role(self, role: str) -> list[ManifestRow]:
        return [row for row in self.rows if row.role == role]


def inspect_upload(source: IO[bytes], *, check_media: bool = False) -> UploadPlan:
    """Read and check an uploaded zip; raise DesignError listing every problem found.

    Everything the zip's directory tells (sizes, names, links, file count) is checked before a
    byte is unpacked. Then the manifest is read, and each file it names is unpacked once (never
    more than its limit, whatever the directory says) and identified from its header: the image
    or clip its name says, within the pixel and length limits. `check_media` decodes each one
    completely as well (the build does).
    """
    with open_archive(source) as archive:
        plan = plan_from_archive(archive)
        checked = checked_media(archive, plan, decode=check_media)
        problems = [problem for *_, problem in checked if problem]
        if problems:
            raise DesignError(capped(problems))
        return plan


def plan_from_archive(archive: zipfile.ZipFile) -> UploadPlan:
    """The manifest's rows and the zip member of each file they name."""
    manifest_member = find_manifest(archive)
    base = PurePosixPath(manifest_member).parent
    rows, problems = parse_manifest(read_member(archive, manifest_member))
    members = {name: member_path(base, name) for row in rows for name in (row.image, row.audio)}
    present = set(archive.namelist())
    for row in rows:
        for column, name in (("image", row.image), ("audio", row.audio)):
            if members[name] not in present:
                problems.append(
                    f"Manifest line {row.line}: {column} file {name!r} is not in the zip."
                )
    problems += one_class_per_file(rows, members)
    if problems:
        raise DesignError(capped(problems))
    return UploadPlan(rows=rows, members=members)


def find_manifest(archive: zipfile.ZipFile) -> str:
    candidates = [n for n in archive.namelist() if PurePosixPath(n).name == MANIFEST_NAME]
    return min(candidates, key=lambda name: (len(PurePosixPath(name).parts), name))


def member_path(base: PurePosixPath, name: str) -> str:
    return str(base / name) if str(base) != "." else str(PurePosixPath(name))


def parse_manifest(raw: bytes) -> tuple[list[ManifestRow], list[str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return [], [
            f"{MANIFEST_NAME} is not UTF-8 text (line {line} has the byte "
            f'0x{raw[error.start]:02x}); save it as UTF-8 ("CSV UTF-8" in a spreadsheet).'
        ]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        columns = [c.strip().lower() for c in reader.fieldnames or []]
    except csv.Error as error:
        return [], [f"{MANIFEST_NAME} line 1 cannot be read as CSV ({error})."]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return [], [f"{MANIFEST_NAME} is missing the column(s): {', '.join(missing)}."]
    reader.fieldnames = columns
    return manifest_rows(reader)


def manifest_rows(reader: csv.DictReader) -> tuple[list[ManifestRow], list[str]]:
    rows, problems = [], []
    most = settings.SYNLAB_MAX_MANIFEST_ROWS
    for counted in itertools.count(1):
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            return rows, [
                *problems,
                f"Manifest line {reader.reader.line_num} cannot be read as CSV ({error}); "
                "is a quote left open?",
            ]
        if counted > most:
            return [], [
                f"{MANIFEST_NAME} has more than {most:,} rows; at most {most:,} are allowed."
            ]
        row, row_problems = manifest_row(reader.line_num, record)
        problems += row_problems
        if row:
            rows.append(row)
    if not rows and not problems:
        problems.append(f"{MANIFEST_NAME} has no rows.")
    return rows, problems


def manifest_row(line: int, record: dict) -> tuple[ManifestRow | None, list[str]]:
    def value(column: str) -> str:
        found = record.get(column)
        return found.strip() if isinstance(found, str) else ""

    problems = [
        f"Manifest line {line}: the {c} column is empty." for c in REQUIRED_COLUMNS if not value(c)
    ]
    problems += [
        f"Manifest line {line}: the {column} is {len(value(column)):,} characters long; at most "
        f"{most} are allowed."
        for column, most in MAX_LENGTHS.items()
        if len(value(column)) > most
    ]
    problems += [
        f"Manifest line {line}: the {column} holds a NUL character."
        for column, found in record.items()
        if isinstance(found, str) and "\x00" in found
    ]
    role = value("role").lower() or "test"
    if role not in ROLES:
        problems.append(
            f"Manifest line {line}: role must be 'test', 'preview' or 'catch', not {role[:20]!r}."
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


def one_class_per_file(rows: list[ManifestRow], members: dict[str, str]) -> list[str]:
    """A file belongs to one class, and is either an image or a clip: otherwise a chosen
    option's class and the class of its file would disagree in the answers."""
    first_use: dict[str, tuple[ManifestRow, str]] = {}
    problems = []
    for row in rows:
        for column, name in (("image", row.image), ("audio", row.audio)):
            member = members[name]
            if member not in first_use:
                first_use[member] = (row, column)
                continue
            earlier, earlier_column = first_use[member]
            if earlier_column != column:
                problems.append(
                    f"Manifest lines {earlier.line} and {row.line} use {name!r} both as an "
                    "image and as an audio file."
                )
            elif earlier.class_label != row.class_label:
                problems.append(
                    f"Manifest lines {earlier.line} and {row.line} put {name!r} in two classes "
                    f"({earlier.class_label!r} and {row.class_label!r}); a file belongs to one "
                    "class."
                )
    return problems


def media_of(plan: UploadPlan) -> dict[str, str]:
    """Each file the manifest names, and what it must be: "image" or "audio"."""
    return {row.image: "image" for row in plan.rows} | {row.audio: "audio" for row in plan.rows}


PROBES = {"image": probe_image, "audio": probe_audio}


def checked_media(
    archive: zipfile.ZipFile, plan: UploadPlan, *, decode: bool
) -> Iterator[tuple[str, bytes | None, MediaInfo | None, str | None]]:
    """Each file the manifest names, one at a time: (name, bytes, info, None) when it is the
    image or clip it claims to be, (name, None, None, problem) when not. Without `decode` only
    its header is read and info is None."""
    for name, kind in media_of(plan).items():
        try:
            data = read_member(archive, plan.members[name])
            if decode:
                yield name, data, PROBES[kind](data, name=name), None
            else:
                identify_media(data, name=name, kind=kind)
                yield name, data, None, None
        except DesignError as error:  # the zip cannot give the file (damaged, too large)
            yield name, None, None, " ".join(error.problems)
        except MediaError as error:
            yield name, None, None, str(error)


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


def build(*, study: Study, store: StimulusStore) -> StudyPlan:
    """Store the set's media (keyed by their manifest paths) and plan the trials."""
    params = Params.from_dict(study.design_params)
    if not study.source_upload:
        raise DesignError(["The study has no uploaded set."])
    with study.source_upload.open("rb") as source, open_archive(source) as archive:
        upload = plan_from_archive(archive)
        problems = design_problems(params, upload)
        if problems:
            raise DesignError(problems)
        store_media(archive=archive, plan=upload, store=store)
    rng = random.Random(study.seed)
    preview = preview_phase(plan=upload, params=params)
    test = matching_phase(plan=upload, params=params, rng=rng)
    test.trials.extend(catch_trials(plan=upload, params=params, rng=rng))
    return StudyPlan(phases=[phase for phase in (preview, test) if phase.trials])


def store_media(*, archive: zipfile.ZipFile, plan: UploadPlan, store: StimulusStore) -> None:
    """Each file is read, checked and stored in turn (one in memory at a time); after the
    first problem the rest are only checked, so that every problem is listed."""
    descriptions = {row.image: row.description for row in plan.rows if row.description}
    classes = {name: row.class_label for row in plan.rows for name in (row.image, row.audio)}
    problems = []
    for name, data, original, problem in checked_media(archive, plan, decode=True):
        if problem or problems:
            problems += [problem] if problem else []
            continue
        try:
            store.media(
                key=name,
                data=data,
                original=original,
                class_label=classes[name],
                description=descriptions.get(name, ""),
                provenance={"source": "upload", "member": plan.members[name]},
            )
        except MediaError as error:
            problems.append(f"{name}: {error}")
    if problems:
        raise DesignError(capped(problems))


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
