"""A researcher imports MAESTRO: MIDI and audio of piano performances, dated by composer."""

import io

import pytest
import soundfile

from studies.importing.report import import_report
from studies.importing.rows import ImportSettings
from studies.importing.services import ImportRefused, import_batch_create
from tests.importing.files import write_csv, write_midi, write_silence, write_tone

pytestmark = pytest.mark.django_db

HEADER = [
    "canonical_composer",
    "canonical_title",
    "split",
    "year",
    "midi_filename",
    "audio_filename",
    "duration",
]


def maestro_row(composer, title, stem, *, split="train", year="2018"):
    return [composer, title, split, year, f"{year}/{stem}.midi", f"{year}/{stem}.wav", "65.0"]


@pytest.fixture
def maestro(tmp_path, media_dir):
    """A MAESTRO-shaped folder: year folders holding .midi and .wav files."""
    (media_dir / "2018").mkdir()

    def performance(stem, *, seconds=65.0, pitch=440.0, pitches=(60, 64, 67), silent=False):
        write_midi(media_dir / "2018" / f"{stem}.midi", pitches=pitches)
        wav = media_dir / "2018" / f"{stem}.wav"
        if silent:
            write_silence(wav, seconds=seconds)
        else:
            write_tone(wav, seconds=seconds, pitch_hz=pitch)

    return performance


def test_performances_become_a_midi_file_and_30_second_clips_dated_by_composer(
    tmp_path, media_dir, maestro
):
    maestro("chopin", pitch=330.0, pitches=(60, 62))
    maestro("schubert_liszt", pitch=550.0, pitches=(65, 69))
    metadata = write_csv(
        tmp_path / "maestro-v3.0.0.csv",
        HEADER,
        [
            maestro_row("Frédéric Chopin", "Ballade No. 1 in G Minor, Op. 23", "chopin"),
            maestro_row(
                "Franz Schubert / Franz Liszt", "Ständchen", "schubert_liszt", split="test"
            ),
        ],
    )

    batch = import_batch_create(
        name="MAESTRO sample", format="maestro", metadata_path=metadata, media_dir=media_dir
    )

    assert (batch.rows_taken, batch.rows_refused) == (2, 0)
    chopin = batch.items.filter(creator="Frédéric Chopin")
    assert sorted(chopin.values_list("kind", flat=True)) == ["audio", "audio", "midi"]
    clips = chopin.filter(kind="audio").order_by("clip_start_s")
    assert [(clip.clip_start_s, clip.duration_s) for clip in clips] == [(0.0, 30.0), (30.0, 30.0)]
    with clips[1].file.open("rb") as handle:
        info = soundfile.info(io.BytesIO(handle.read()))
    assert (info.format, info.samplerate, round(info.duration, 3)) == ("FLAC", 8000, 30.0)
    # Chopin's active years 1817-1849: the middle, give or take half the span.
    midi = chopin.get(kind="midi")
    assert (midi.year, midi.year_uncertainty) == (1833, 16)
    assert midi.year_source == "composer table: Frédéric Chopin, active 1817-1849"
    assert midi.source_row["year"] == "2018"  # the performance year, kept but not used
    assert midi.split == "train" and midi.title.startswith("Ballade No. 1")
    transcription = batch.items.filter(title="Ständchen").first()
    assert transcription.year_source.startswith("composer table: Franz Schubert")
    assert transcription.split == "test"

    report = import_report(batch)
    assert "Rows taken: 2; rows refused: 0." in report
    assert "4 audio clips, 2 MIDI files" in report
    assert "is the year of the performance" in report and "not used" in report


def test_an_unknown_composer_or_a_short_or_silent_recording_is_refused(
    tmp_path, media_dir, maestro
):
    maestro("bach", pitches=(50, 52))
    maestro("anon", pitches=(51, 53))
    maestro("short", seconds=20.0, pitches=(55, 57))
    maestro("silent", silent=True, pitches=(58, 59))
    metadata = write_csv(
        tmp_path / "maestro.csv",
        HEADER,
        [
            maestro_row("Johann Sebastian Bach", "Prelude and Fugue in C Major, BWV 846", "bach"),
            maestro_row("Zygmunt Nobody", "Etude", "anon"),
            maestro_row("Joseph Haydn", "Sonata in E-flat Major", "short"),
            maestro_row("Ludwig van Beethoven", "Sonata No. 14", "silent"),
        ],
    )

    batch = import_batch_create(
        name="MAESTRO problems", format="maestro", metadata_path=metadata, media_dir=media_dir
    )

    assert (batch.rows_taken, batch.rows_refused) == (1, 3)
    assert set(batch.items.values_list("creator", flat=True)) == {"Johann Sebastian Bach"}
    assert batch.refusals == [
        {
            "row": 3,
            "reason": "The composer 'Zygmunt Nobody' is not in the composer table "
            "(modeling/data/composers.py), so the music cannot be dated.",
        },
        {
            "row": 4,
            "reason": "2018/short.wav cannot be used: the recording is 20.0 s long, shorter "
            "than one 30 s clip.",
        },
        {"row": 5, "reason": "2018/silent.wav cannot be used: the recording is silent."},
    ]


def test_clip_length_count_and_media_are_settings(tmp_path, media_dir, maestro):
    maestro("mozart", seconds=20.0)
    metadata = write_csv(
        tmp_path / "maestro.csv",
        HEADER,
        [maestro_row("Wolfgang Amadeus Mozart", "K. 331", "mozart")],
    )

    audio_only = import_batch_create(
        name="Short clips",
        format="maestro",
        metadata_path=metadata,
        media_dir=media_dir,
        import_settings=ImportSettings(clip_seconds=4, max_clips_per_file=3, maestro_media="audio"),
    )
    midi_only = import_batch_create(
        name="MIDI only",
        format="maestro",
        metadata_path=metadata,
        media_dir=media_dir,
        import_settings=ImportSettings(maestro_media="midi"),
    )

    starts = audio_only.items.values_list("clip_start_s", flat=True)
    assert list(starts) == [0.0, 4.0, 8.0]
    assert set(audio_only.items.values_list("kind", flat=True)) == {"audio"}
    assert list(midi_only.items.values_list("kind", flat=True)) == ["midi"]
    assert audio_only.import_settings["clip_seconds"] == 4


def test_a_csv_lacking_maestro_columns_imports_nothing(tmp_path, media_dir):
    metadata = write_csv(tmp_path / "m.csv", ["canonical_composer", "midi_filename"], [["a", "b"]])
    with pytest.raises(ImportRefused, match="lacks MAESTRO's columns canonical_title, split"):
        import_batch_create(name="x", format="maestro", metadata_path=metadata, media_dir=media_dir)
