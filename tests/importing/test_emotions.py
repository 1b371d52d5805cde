"""A researcher imports emotion-labelled images and music (IMAC-style and BAM-style)."""

import pytest

from studies.importing.rows import ImportSettings
from studies.importing.services import ImportRefused, import_batch_create
from tests.importing.files import write_csv, write_image, write_silence, write_tone

pytestmark = pytest.mark.django_db


def test_imac_images_with_positive_neutral_and_negative_labels(tmp_path, media_dir):
    for number, colour in enumerate([(250, 200, 0), (128, 128, 128), (20, 20, 60), (5, 5, 5)]):
        write_image(media_dir / f"img_{number}.jpg", colour=colour)
    metadata = write_csv(
        tmp_path / "image_emotions.csv",
        ["image", "emotion"],
        [
            ["img_0.jpg", "Positive"],
            ["img_1.jpg", "neutral"],
            ["img_2.jpg", "negative"],
            ["img_3.jpg", "happy"],
            ["img_4.jpg", ""],
        ],
    )

    batch = import_batch_create(
        name="IMAC images", format="imac_images", metadata_path=metadata, media_dir=media_dir
    )

    assert list(batch.items.values_list("label", flat=True)) == ["positive", "neutral", "negative"]
    assert set(batch.items.values_list("kind", flat=True)) == {"image"}
    assert batch.refusals == [
        {"row": 5, "reason": "The emotion 'happy' is not one of positive, neutral, negative."},
        {"row": 6, "reason": "The row has no emotion label."},
    ]


def test_an_imac_music_list_is_cut_into_clips(tmp_path, media_dir):
    write_tone(media_dir / "song_1.wav", seconds=7.0, pitch_hz=523.0)
    write_tone(media_dir / "song_2.wav", seconds=4.0, pitch_hz=220.0)
    write_tone(media_dir / "song_3.wav", seconds=1.0, pitch_hz=300.0)
    write_silence(media_dir / "song_4.wav", seconds=5.0)
    music_list = tmp_path / "music_emotions.txt"
    music_list.write_text(
        "file\temotion\n"
        "# songs labelled by three annotators\n"
        "song_1.wav\tpositive\n"
        "song_2.wav\tnegative\n"
        "\n"
        "song_3.wav\tneutral\n"
        "song_4.wav\tneutral\n"
        "song_5.wav\tnegative\n"
        "song_6.wav\n",
        encoding="utf-8",
    )

    batch = import_batch_create(
        name="IMAC music",
        format="imac_music",
        metadata_path=music_list,
        media_dir=media_dir,
        import_settings=ImportSettings(clip_seconds=3),
    )

    clips = list(batch.items.values_list("source_file", "label", "clip_start_s"))
    assert clips == [
        ("song_1.wav", "positive", 0.0),
        ("song_1.wav", "positive", 3.0),
        ("song_2.wav", "negative", 0.0),
    ]
    assert [item.source_line for item in batch.items.all()] == [3, 3, 4]
    assert batch.refusals == [
        {
            "row": 6,
            "reason": "song_3.wav cannot be used: the recording is 1.0 s long, shorter than "
            "one 3 s clip.",
        },
        {"row": 7, "reason": "song_4.wav cannot be used: the recording is silent."},
        {
            "row": 8,
            "reason": "song_5.wav cannot be used: there is no such file in the media folder.",
        },
        {"row": 9, "reason": "The row has no emotion label."},
    ]


def test_bam_labels_give_each_image_its_one_positive_emotion(tmp_path, media_dir):
    for mid, colour in [("1001", (250, 230, 80)), ("1002", (20, 30, 40)), ("1003", (9, 9, 9))]:
        write_image(media_dir / f"{mid}.jpg", colour=colour)
    write_image(media_dir / "1004.png", colour=(90, 160, 200))
    write_image(media_dir / "1005.png", colour=(91, 160, 200))
    header = ["mid", "emotion_gloomy", "emotion_happy", "emotion_peaceful", "emotion_scary"]
    metadata = write_csv(
        tmp_path / "bam_labels.csv",
        header,
        [
            ["1001", "negative", "positive", "unsure", "negative"],
            ["1002", "positive", "negative", "negative", ""],
            ["1003", "negative", "negative", "unsure", "negative"],
            ["1004", "negative", "positive", "positive", "negative"],
            ["1005", "negative", "maybe", "positive", "negative"],
            ["1006", "negative", "positive", "negative", "negative"],
        ],
    )

    batch = import_batch_create(
        name="BAM emotions", format="bam", metadata_path=metadata, media_dir=media_dir
    )

    assert list(batch.items.values_list("source_file", "label")) == [
        ("1001.jpg", "happy"),
        ("1002.jpg", "gloomy"),
    ]
    assert batch.refusals == [
        {"row": 4, "reason": "No emotion is labelled positive for this image."},
        {"row": 5, "reason": "The image is labelled with several emotions (happy, peaceful)."},
        {
            "row": 6,
            "reason": "The value 'maybe' in emotion_happy is not one of positive, negative, "
            "unsure.",
        },
        {"row": 7, "reason": "There is no image named 1006.jpg (or .png, .webp) for this mid."},
    ]


def test_a_bam_file_without_emotion_columns_imports_nothing(tmp_path, media_dir):
    metadata = write_csv(tmp_path / "bam.csv", ["mid", "content_bird"], [["1", "positive"]])
    with pytest.raises(ImportRefused, match="none of BAM's emotion columns"):
        import_batch_create(name="BAM", format="bam", metadata_path=metadata, media_dir=media_dir)
