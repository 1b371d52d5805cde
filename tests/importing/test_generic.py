"""A researcher imports their own images, MIDI and recordings from a CSV with years or labels."""

import pytest

from studies.importing.rows import ImportSettings
from studies.importing.services import ImportRefused, import_batch_create
from tests.importing.files import (
    write_csv,
    write_garbage,
    write_image,
    write_loop,
    write_midi,
    write_silence,
    write_tone,
)

pytestmark = pytest.mark.django_db


def test_images_midi_and_audio_with_year_and_label(tmp_path, media_dir):
    write_image(media_dir / "fresco.png")
    write_midi(media_dir / "chorale.mid")
    write_tone(media_dir / "lute.wav", seconds=9.0)
    write_loop(media_dir / "drone.wav", seconds=6.0)
    metadata = write_csv(
        tmp_path / "mine.csv",
        ["file", "year", "label", "title", "creator", "split"],
        [
            ["fresco.png", "c. 1450", "renaissance", "Fresco", "Anon.", "train"],
            ["chorale.mid", "1724", "baroque", "Chorale", "J. S. Bach", "test"],
            ["lute.wav", "1590s", "renaissance", "Galliard", "Dowland", "train"],
            ["drone.wav", "1600", "baroque", "Drone", "", ""],
        ],
    )

    batch = import_batch_create(
        name="My works",
        format="generic",
        metadata_path=metadata,
        media_dir=media_dir,
        import_settings=ImportSettings(clip_seconds=3),
    )

    assert (batch.rows_taken, batch.rows_refused) == (4, 0)
    kinds = list(batch.items.values_list("source_file", "kind", "year", "label"))
    assert kinds == [
        ("fresco.png", "image", 1450, "renaissance"),
        ("chorale.mid", "midi", 1724, "baroque"),
        ("lute.wav", "audio", 1595, "renaissance"),
        ("lute.wav", "audio", 1595, "renaissance"),
        ("lute.wav", "audio", 1595, "renaissance"),
        ("drone.wav", "audio", 1600, "baroque"),  # a loop: its two clips are one sound
    ]
    assert batch.items.get(kind="midi").creator == "J. S. Bach"


def test_a_label_only_csv_and_its_refusals(tmp_path, media_dir):
    write_image(media_dir / "a.png", colour=(10, 10, 10))
    write_garbage(media_dir / "b.wav")
    write_garbage(media_dir / "c.mid")
    write_midi(media_dir / "d.mid", pitches=())
    write_silence(media_dir / "e.wav", seconds=4.0)
    write_image(media_dir / "f.png", colour=(20, 10, 10))
    metadata = write_csv(
        tmp_path / "labels.csv",
        ["file", "label"],
        [
            ["a.png", "calm"],
            ["b.wav", "calm"],
            ["c.mid", "calm"],
            ["d.mid", "calm"],
            ["e.wav", "calm"],
            ["f.png", ""],
            ["g.doc", "calm"],
        ],
    )

    batch = import_batch_create(
        name="Labels",
        format="generic",
        metadata_path=metadata,
        media_dir=media_dir,
        import_settings=ImportSettings(clip_seconds=2),
    )

    assert batch.rows_taken == 1
    item = batch.items.get()
    assert (item.label, item.year, item.year_source) == ("calm", None, "")
    reasons = [refusal["reason"] for refusal in batch.refusals]
    assert reasons[0].startswith("b.wav cannot be used: it is not a readable audio file")
    assert reasons[1].startswith("c.mid cannot be used: it is not a readable MIDI file")
    assert reasons[2] == "d.mid cannot be used: the MIDI file has no notes."
    assert reasons[3] == "e.wav cannot be used: the recording is silent."
    assert reasons[4] == "The row has no label."
    assert reasons[5].startswith("'g.doc' is not an image or a MIDI or an audio file")


def test_a_csv_with_neither_years_nor_labels_imports_nothing(tmp_path, media_dir):
    metadata = write_csv(tmp_path / "bare.csv", ["file", "title"], [["a.png", "A"]])
    with pytest.raises(ImportRefused, match="neither a year column"):
        import_batch_create(
            name="Bare", format="generic", metadata_path=metadata, media_dir=media_dir
        )


def test_impossible_settings_import_nothing(tmp_path, media_dir):
    metadata = write_csv(tmp_path / "m.csv", ["file", "year"], [["a.png", "1600"]])
    with pytest.raises(ImportRefused, match="clip length must be from 1 to 600 seconds"):
        import_batch_create(
            name="Bad",
            format="generic",
            metadata_path=metadata,
            media_dir=media_dir,
            import_settings=ImportSettings(clip_seconds=0.1),
        )


def test_mp3_and_ogg_recordings_are_cut_like_wav(tmp_path, media_dir):
    import numpy as np
    import soundfile

    t = np.arange(44100 * 5) / 44100
    tone = (0.2 + 0.02 * t) * np.sin(2 * np.pi * 440 * t)
    soundfile.write(media_dir / "a.mp3", tone, 44100, format="MP3")
    soundfile.write(media_dir / "b.ogg", tone[::-1], 44100, format="OGG")
    metadata = write_csv(
        tmp_path / "m.csv", ["file", "year"], [["a.mp3", "1900"], ["b.ogg", "1910"]]
    )

    batch = import_batch_create(
        name="Compressed",
        format="generic",
        metadata_path=metadata,
        media_dir=media_dir,
        import_settings=ImportSettings(clip_seconds=2),
    )

    clips = list(batch.items.values_list("source_file", "clip_start_s", "duration_s", "extension"))
    assert clips == [
        ("a.mp3", 0.0, 2.0, ".flac"),
        ("a.mp3", 2.0, 2.0, ".flac"),
        ("b.ogg", 0.0, 2.0, ".flac"),
        ("b.ogg", 2.0, 2.0, ".flac"),
    ]
