"""Nothing a participant's browser receives tells which option is correct."""

import io
import re
from collections import Counter

import numpy as np
import pytest
import soundfile
from django.test import Client
from PIL import Image, PngImagePlugin

from studies import generation, services
from studies.models import Study
from tests.factories import png_bytes, upload_zip
from tests.studies.bots import Bot
from tests.studies.conftest import as_upload

pytestmark = pytest.mark.django_db
TELLING = ("red", "green", "blue", "correct", ".wav", ".png", "images/", "audio/")


def tagged_png(label: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", f"class={label} correct")
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png_bytes())).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def tagged_wav(label: str, loudness: float) -> bytes:
    """Half a second whose sound differs by class (a tone, noise, a sweep): a variable-bitrate
    encoding would make the noisy files larger."""
    t = np.arange(8000) / 16000
    sound = {
        "red": np.sin(2 * np.pi * 440 * t),
        "green": np.random.default_rng(0).uniform(-1, 1, t.size),
        "blue": np.sin(2 * np.pi * (200 + 1600 * t) * t),
    }[label]
    buffer = io.BytesIO()
    with soundfile.SoundFile(buffer, "w", 16000, 1, format="WAV") as clip:
        clip.title = f"{label} correct answer"
        clip.write((loudness * sound).astype("float32"))
    return buffer.getvalue()


def leaky_set() -> bytes:
    """Files whose tags, loudness and sound give the class away, as a careless set might."""
    loudness = {"red": 0.05, "green": 0.3, "blue": 0.9}
    replace = {}
    for label in loudness:
        for index in range(3):
            replace[f"images/{label}_test_{index}.png"] = tagged_png(label)
            replace[f"audio/{label}_test_{index}.wav"] = tagged_wav(label, loudness[label])
    return upload_zip(preview_per_class=0, replace_files=replace)


def png_text_chunks(data: bytes) -> list[bytes]:
    chunks, offset = [], 8
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        chunks.append(data[offset + 4 : offset + 8])
        offset += 12 + length
    return [c for c in chunks if c in (b"tEXt", b"iTXt", b"zTXt", b"eXIf")]


def rms_dbfs(data: bytes) -> float:
    samples, _ = soundfile.read(io.BytesIO(data), dtype="float32")
    return 20 * np.log10(np.sqrt(np.mean(samples**2)))


def test_pages_urls_and_files_reveal_nothing():
    study = services.study_create(
        name="leaky", kind="uploaded_set", seed=5, upload=as_upload(leaky_set())
    )
    generation.generation_job_run(job_id=generation.study_generate(study=study).pk)
    study = services.study_publish(study=Study.objects.get(pk=study.pk))

    bot = Bot(client=Client(), study_slug=study.slug)
    received_pages, received_files = [], {}
    html = bot.reach_first_trial()
    while True:
        received_pages.append(html)
        for url in re.findall(r'(?:src|href)="(/p/[^"]+/m/[^"]+)"', html):
            received_files[url] = b"".join(bot.client.get(url).streaming_content)
        bot.answer(html, 0)
        if bot.stage() == "done":
            break
        html = bot.page().content.decode()

    for page in received_pages:
        # Alt texts are the researcher's descriptions of what is on screen anyway; links and
        # tokens are random letters (tests/studies/test_media_link_attacks.py attacks them).
        visible = re.sub(r'alt="[^"]*"|"/p/[^"]*"|value="[^"]*"', "", page).lower()
        for word in TELLING:
            assert word not in visible, f"{word!r} appears in a trial page"
    clip_levels, clip_sizes = [], set()
    for url, data in received_files.items():
        for planted in (b"correct answer", b"class="):  # the tags the leaky set carried
            assert planted not in data, f"{planted!r} is inside {url}"
        if data.startswith(b"\x89PNG"):
            assert png_text_chunks(data) == []
        else:
            assert not data.startswith(b"ID3"), "no ID3 tag"
            with soundfile.SoundFile(io.BytesIO(data)) as clip:
                assert (clip.title, clip.comment, clip.software) == ("", "", "")
                assert clip.format == "MP3", "every browser (Safari too) plays MP3"
            clip_levels.append(rms_dbfs(data))
            clip_sizes.add(len(data))
    assert len(clip_levels) == 9
    assert max(clip_levels) - min(clip_levels) < 0.5, "loudness gives the class away"
    assert len(clip_sizes) == 1, "clips of one length have one size, whatever they sound like"


def test_the_correct_option_is_spread_over_all_screen_positions(live_study):
    positions = Counter()
    for _ in range(3):
        bot = Bot(client=Client(), study_slug=live_study.slug)
        bot.take_whole_study()
        for response in bot_responses(bot):
            correct = response.trial.options.get(is_correct=True).pk
            screen = response.participant.assignments.get(trial=response.trial).option_order
            positions[screen.index(correct)] += 1
    assert set(positions) == {0, 1, 2}
    assert positions[0] == positions[1] == positions[2] == 9  # 3 raters x 9 trials, rotated


def bot_responses(bot):
    from studies.models import Response

    return Response.objects.filter(participant__token=bot.token).select_related(
        "trial", "participant"
    )
