"""A researcher (and, after the debrief, a participant) uses the Vis2Mus browser tool: each
change asks the server, which answers from its cache or sends the request to a worker once;
bad values are clamped and said, bad anchors and other families' checkpoints refused clearly,
and nothing is ever half-built. The worker is played here by running its task's service in
this process (tests/workers/test_vis2mus_tool_worker.py uses a real one)."""

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
from django.test import Client
from django.urls import reverse
from PIL import Image

from modeling.vis2mus import anchors
from modeling.vis2mus import tool as rendering
from studies import tool
from studies.models import ModelRun, Study
from tests.studies.bots import Bot
from tests.studies.conftest import create_built_study
from workers import queueing

WEIGHTS = Path(__file__).resolve().parents[2] / "modeling" / "weights"
RENDER_URL = "/researcher/vis2mus-tool/render"


@pytest.fixture
def sent(monkeypatch):
    """The render requests sent to the workers (not run until `worker_renders`)."""
    requests = []
    monkeypatch.setattr(queueing, "task_send", lambda name, *args: requests.append((name, *args)))
    return requests


def worker_renders(sent: list) -> list[str]:
    outcomes = [tool.tool_render_run(payload=payload) for _, payload in sent]
    sent.clear()
    return outcomes


@pytest.fixture
def staff(client, researcher):
    client.force_login(researcher)
    return client


def ask(client, **query):
    return client.get(RENDER_URL, query)


def test_a_slider_move_is_rendered_once_by_a_worker_then_served_from_the_cache(staff, sent):
    query = {"photo": "photo/coffee", "texture": "texture/2", "brightness": "0.3"}
    first = ask(staff, **query)
    assert first.status_code == 200
    assert first.json()["status"] == "pending"
    assert [name for name, _ in sent] == [tool.RENDER_TASK]

    assert ask(staff, **query).json()["rendering"] is False  # the page polls: still queued
    assert len(sent) == 1, "a request on its way is not sent again"
    with tool.MarkerHeartbeat(first.json()["key"]):  # a worker takes it
        assert ask(staff, **query).json()["rendering"] is True

    assert worker_renders(sent) == ["ready"]
    ready = ask(staff, **query).json()
    assert ready["status"] == "ready"
    assert ready["values"] == {"brightness": 0.3, "contrast": 0.0}
    assert ready["notes"] == []
    assert not sent, "a cached result needs no worker"

    picture = Image.open(io.BytesIO(b"".join(staff.get(ready["picture_url"]).streaming_content)))
    assert picture.size == (128, 128) and picture.mode == "RGB"
    clip = staff.get(ready["clip_url"])
    assert clip["Content-Type"] == "audio/flac"
    samples, rate = soundfile.read(io.BytesIO(b"".join(clip.streaming_content)))
    assert len(samples) / rate == pytest.approx(32 * 0.15 + 0.3, abs=0.05) and np.abs(samples).max()
    midi = staff.get(ready["midi_url"])
    assert midi["Content-Disposition"].startswith("attachment")

    darker = ask(staff, **{**query, "brightness": "-0.3"}).json()
    assert darker["status"] == "pending" and darker["key"] != ready["key"]
    worker_renders(sent)
    darker = ask(staff, **{**query, "brightness": "-0.3"}).json()
    assert darker["picture_url"] != ready["picture_url"]
    darker_picture = staff.get(darker["picture_url"])
    assert b"".join(darker_picture.streaming_content) != picture.tobytes()


def test_the_same_request_always_has_the_same_key_and_any_change_a_new_one():
    request = rendering.ToolRequest(mode="transform", picture="photo/cat", music="texture/1")
    digest = rendering.file_digest(WEIGHTS / "vis2mus_cpu_demo.pt")
    key = rendering.cache_key(request, digest)
    assert key == rendering.cache_key(request, digest)
    assert key == rendering.cache_key(rendering.ToolRequest(**request.as_dict()), digest)
    changed = [
        rendering.ToolRequest(mode="transform", picture="photo/coffee", music="texture/1"),
        rendering.ToolRequest(mode="transform", picture="photo/cat", music="texture/2"),
        rendering.ToolRequest(
            mode="transform", picture="photo/cat", music="texture/1", contrast=0.05
        ),
    ]
    assert len({key, *(rendering.cache_key(other, digest) for other in changed)}) == 4
    assert rendering.cache_key(request, "0" * 64) != key


def test_a_rebuilt_music_anchor_file_gives_new_keys(monkeypatch, tmp_path):
    request = rendering.ToolRequest(mode="transform", picture="photo/cat", music="texture/0")
    before = rendering.cache_key(request, "0" * 64)
    monkeypatch.setattr(rendering, "ANCHOR_SEGMENTS", write_anchor_file(tmp_path / "a.npz"))
    assert rendering.cache_key(request, "0" * 64) != before


def test_values_outside_minus_one_to_one_are_clamped_and_the_page_says_so(staff, sent):
    page = staff.get("/researcher/vis2mus-tool/", {"brightness": "3", "contrast": "-7.5"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Brightness 3 is outside [-1, 1]; 1 was used." in text
    assert "Contrast -7.5 is outside [-1, 1]; -1 was used." in text
    assert 'id="brightness" name="brightness" min="-1" max="1" step="0.05" value="1.00"' in text

    clamped = ask(staff, brightness="3", contrast="-7.5").json()
    same = ask(staff, brightness="1", contrast="-1").json()
    assert clamped["key"] == same["key"], "the clamped request is the one at the ends"
    assert same["notes"] == []
    assert len(sent) == 1

    for value, message in (("bright", "Brightness must be a number"), ("nan", "a number")):
        refused = ask(staff, brightness=value)
        assert refused.status_code == 400
        assert message in refused.json()["message"]
    assert "from -1 to 1" in ask(staff, contrast="1e999").json()["message"]
    assert len(sent) == 1


def test_a_checkpoint_of_another_family_is_refused_with_a_clear_message(staff, sent):
    synvae = ModelRun.objects.create(
        name="digits",
        kind=ModelRun.Kind.SYNVAE,
        status=ModelRun.Status.SUCCEEDED,
        checkpoint=str(WEIGHTS / "synvae_digits_beta0.5.pt"),
    )
    refused = ask(staff, checkpoint=f"run-{synvae.pk}")
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        f"Model run {synvae.pk} is a SynVAE (image -> music -> image) model, not a Vis2Mus "
        "chord/texture VAE: choose a Vis2Mus checkpoint."
    )
    page = staff.get("/researcher/vis2mus-tool/", {"checkpoint": f"run-{synvae.pk}"})
    assert page.status_code == 400 and "not a Vis2Mus" in page.content.decode()
    assert f"run-{synvae.pk}" not in [c.value for c in tool.tool_checkpoints()]

    # A Vis2Mus run whose file holds another family's model: the worker finds out.
    mislabelled = ModelRun.objects.create(
        name="mislabelled",
        kind=ModelRun.Kind.VIS2MUS,
        status=ModelRun.Status.SUCCEEDED,
        checkpoint=str(WEIGHTS / "musicvae_cpu_demo.pt"),
    )
    assert ask(staff, checkpoint=f"run-{mislabelled.pk}").json()["status"] == "pending"
    assert worker_renders(sent) == ["refused"]
    reply = ask(staff, checkpoint=f"run-{mislabelled.pk}").json()
    assert reply["status"] == "refused"
    assert reply["message"] == (
        "The checkpoint holds a 'musicvae' model, not a Vis2Mus chord/texture VAE: "
        "choose a Vis2Mus checkpoint."
    )
    assert reply["picture_url"] is None and reply["clip_url"] is None
    stored = tool.results_dir() / reply["key"]
    assert sorted(p.name for p in stored.iterdir()) == ["result.json"], "no file of a refusal"

    for missing in ("run-999999", "run-x", "checkpoint.pt"):
        assert ask(staff, checkpoint=missing).status_code == 400


def write_anchor_file(path: Path) -> Path:
    """Music anchors as the committed file holds them, with a silent texture and one whose
    beats carry no chord among them."""
    good = {role: anchors.music_anchors(role)[0] for role in anchors.MUSIC_ROLES}
    silent = np.zeros_like(good["texture"].roll)
    chordless = good["texture"].chords.copy()
    chordless[:, :12] = 0
    pieces = [
        ("texture/0", "texture", good["texture"].roll, good["texture"].chords),
        ("texture/1", "texture", silent, good["texture"].chords),
        ("texture/2", "texture", good["texture"].roll, chordless),
        ("melody/0", "melody", good["melody"].roll, good["melody"].chords),
        ("accompaniment/0", "accompaniment", good["accompaniment"].roll, good["melody"].chords),
    ]
    meta = {
        "anchors": [
            {"key": key, "role": role, "title": f"Broken {key}", "source": "a test"}
            for key, role, _, _ in pieces
        ]
    }
    np.savez(
        path,
        rolls=np.stack([p[2] for p in pieces]).astype(np.uint8),
        chords=np.stack([p[3] for p in pieces]).astype(np.uint8),
        meta=np.array(json.dumps(meta)),
    )
    return path


def test_silent_and_chordless_anchors_and_unknown_ones_are_refused_before_any_work(
    staff, sent, monkeypatch, tmp_path
):
    monkeypatch.setattr(rendering, "ANCHOR_SEGMENTS", write_anchor_file(tmp_path / "a.npz"))
    refusals = {
        ("texture", "texture/1"): (
            "Broken texture/1 cannot be used: the segment is silent: it has no note to transform."
        ),
        ("texture", "texture/2"): (
            "Broken texture/2 cannot be used: the segment has no chord on any beat."
        ),
        ("texture", "melody/0"): "The music must be a texture anchor, not 'melody/0'.",
        ("texture", "texture/99"): "There is no music anchor 'texture/99'.",
        ("photo", "photo/nope"): "There is no picture 'photo/nope'.",
        ("photo", "sketch/horse"): "The picture must be a photo anchor, not 'sketch/horse'.",
        ("photo", "p" * 5000): "The picture must be a photo anchor, not '" + "p" * 80 + "...'.",
    }
    for (parameter, value), message in refusals.items():
        reply = ask(staff, **{parameter: value})
        assert reply.status_code == 400, value
        assert reply.json()["problems"] == [message]
    page = staff.get("/researcher/vis2mus-tool/", {"texture": "texture/1"})
    assert page.status_code == 400
    assert "the segment is silent" in page.content.decode()
    assert ask(staff, mode="sideways").json()["message"] == (
        "There is no mode 'sideways'; choose transform or fuse."
    )
    assert not sent and not tool.cache_dir().exists(), "nothing sent, nothing stored"

    # A worker handed such a request (say, by an older web process) refuses it too.
    request = rendering.ToolRequest(mode="transform", picture="photo/cat", music="texture/2")
    key, result = rendering.render_into_cache(
        checkpoint=WEIGHTS / "vis2mus_cpu_demo.pt", request=request, cache_dir=tmp_path / "c"
    )
    assert result["problem"] == (
        "Broken texture/2 cannot be used: the segment has no chord on any beat."
    )
    assert result["files"] == []

    assert ask(staff, texture="texture/0").json()["status"] == "pending"
    assert worker_renders(sent) == ["ready"]


def test_a_render_that_fails_midway_leaves_nothing_and_a_stale_partial_is_swept(
    tmp_path, monkeypatch
):
    results = tmp_path / "results"
    original = Path.write_bytes

    def disk_full_on_the_clip(self, data):
        if self.name == rendering.CLIP:
            raise OSError(28, "No space left on device")
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", disk_full_on_the_clip)
    files = {rendering.PICTURE: b"png", rendering.CLIP: b"flac"}
    with pytest.raises(OSError):
        rendering.write_result(results, "a" * 64, {"problem": None, "notes": []}, files)
    assert rendering.read_result(results, "a" * 64) is None
    assert list(results.iterdir()) == [], "no partial folder left behind"

    killed = results / f".{'b' * 64}.12345.deadbeef.partial"  # a worker killed while writing
    killed.mkdir()
    (killed / rendering.PICTURE).write_text("half")
    assert rendering.remove_stale_partials(results, older_than_s=3600) == 0
    assert rendering.remove_stale_partials(results, older_than_s=0) == 1
    assert not killed.exists()


def test_a_failure_nobody_expected_is_said_on_the_page_and_retried_later(staff, sent, monkeypatch):
    assert ask(staff, contrast="0.4").json()["status"] == "pending"

    def out_of_memory(**_):
        raise MemoryError("cannot allocate 1 GiB")

    monkeypatch.setattr(rendering, "render_into_cache", out_of_memory)
    assert worker_renders(sent) == ["failed"]
    reply = ask(staff, contrast="0.4").json()
    assert reply["status"] == "refused"
    assert (
        reply["message"] == "The worker could not render this (MemoryError: cannot allocate 1 GiB)."
    )
    assert not sent

    monkeypatch.undo()
    monkeypatch.setattr(queueing, "task_send", lambda name, *args: sent.append((name, *args)))
    monkeypatch.setattr(tool, "PENDING_S", 0.0)  # the failure is old news: the next ask retries
    assert ask(staff, contrast="0.4").json()["status"] == "pending"
    assert worker_renders(sent) == ["ready"]
    assert ask(staff, contrast="0.4").json()["status"] == "ready"


def test_a_broker_that_cannot_be_reached_is_said_and_leaves_no_marker(staff, monkeypatch):
    def unreachable(name, *args):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(queueing, "task_send", unreachable)
    reply = ask(staff, brightness="0.5")
    assert reply.status_code == 409
    assert reply.json()["message"] == "The render queue cannot be reached: try again in a moment."
    assert not any((tool.cache_dir() / "pending").iterdir())


def test_the_tool_plays_what_the_studies_play_at_zero():
    """At 0 / 0 the tool's music is the reconstruction (transform) and the paper's fused piece
    (fuse); one slider alone is the studies' transformation."""
    from modeling.vis2mus import generate

    model = rendering.loaded_model(WEIGHTS / "vis2mus_cpu_demo.pt")
    texture = anchors.music_anchor("texture/3")
    plain = rendering.ToolRequest(mode="transform", picture="photo/cat", music="texture/3")
    reconstruction = generate.reconstruct(model, texture.roll[None], texture.chords[None])[0]
    assert np.array_equal(rendering.rendered_roll(model, plain), reconstruction)
    darker = rendering.ToolRequest(**{**plain.as_dict(), "brightness": -0.6})
    studies_darker = generate.transformed(
        model, texture.roll[None], texture.chords[None], name="brightness", strengths=(-0.6,)
    )[0, 0]
    assert np.array_equal(rendering.rendered_roll(model, darker), studies_darker)

    melody, accompaniment = (
        anchors.music_anchor("melody/1"),
        anchors.music_anchor("accompaniment/4"),
    )
    fused = rendering.ToolRequest(
        mode="fuse",
        picture="sketch/horse",
        style="photo/coffee",
        music="melody/1",
        accompaniment="accompaniment/4",
    )
    expected = generate.fuse_with_melody(
        model, melody=melody.roll, melody_chords=melody.chords, accompaniment=accompaniment.roll
    )
    assert np.array_equal(rendering.rendered_roll(model, fused), expected)


def test_the_tool_is_for_staff_and_its_files_only_for_keys_it_wrote(client, staff):
    anonymous = Client()
    for url in (
        "/researcher/vis2mus-tool/",
        RENDER_URL,
        f"/researcher/vis2mus-tool/{'a' * 64}/picture.png",
    ):
        assert anonymous.get(url).status_code == 302, url
    for key, name in (("a" * 64, "picture.png"), ("a" * 64, "result.json"), ("..", "clip.flac")):
        assert staff.get(f"/researcher/vis2mus-tool/{key}/{name}").status_code == 404


def test_participants_get_the_tool_after_the_debrief_when_the_study_offers_it(db, sent, settings):
    study = create_built_study()
    finished = Bot(client=Client(), study_slug=study.slug)
    finished.take_whole_study()
    tool_url = reverse("participant-tool", args=[finished.token])
    done_page = finished.client.get(finished.url()).content.decode()
    assert "Thank you!" in done_page and tool_url not in done_page
    assert finished.client.get(tool_url).status_code == 404

    Study.objects.filter(pk=study.pk).update(
        design_params={**study.design_params, "tool_after_debrief": True}
    )
    done_page = finished.client.get(finished.url()).content.decode()
    assert tool_url in done_page
    page = finished.client.get(tool_url)
    assert page.status_code == 200
    assert 'name="checkpoint"' not in page.content.decode(), "participants do not pick models"

    render_url = reverse("participant-tool-render", args=[finished.token])
    chosen = {"photo": "photo/bricks", "texture": "texture/5", "contrast": "0.5"}
    assert finished.client.get(render_url, chosen).json()["status"] == "pending"
    assert sent[0][1]["checkpoint"] == str(tool.DEMO_CHECKPOINT)
    worker_renders(sent)
    reply = finished.client.get(render_url, {**chosen, "checkpoint": "run-1"}).json()
    assert reply["status"] == "ready", "the study's checkpoint, whatever the page asks for"
    assert reply["clip_url"].startswith(f"/p/{finished.token}/tool/")
    assert finished.client.get(reply["clip_url"]).status_code == 200

    settings.SYNLAB_RATE_ANSWER = "3/60"  # polling counts against the participant's limit
    for _ in range(3):
        finished.client.get(render_url, chosen)
    too_many = finished.client.get(render_url, chosen)
    assert too_many.status_code == 429 and "Too many requests" in too_many.json()["error"]

    midway = Bot(client=Client(), study_slug=study.slug)
    midway.open_link(), midway.consent()
    assert midway.client.get(reverse("participant-tool", args=[midway.token])).status_code == 404
    assert (
        midway.client.get(reply["clip_url"].replace(finished.token, midway.token)).status_code
        == 404
    )


def test_the_cache_survives_a_cleared_pending_folder_and_a_removed_cache(staff, sent):
    assert ask(staff, brightness="0.2").json()["status"] == "pending"
    worker_renders(sent)
    shutil.rmtree(tool.cache_dir() / "pending", ignore_errors=True)
    assert ask(staff, brightness="0.2").json()["status"] == "ready"
    shutil.rmtree(tool.cache_dir())  # an operator frees the disk: the cache fills again
    assert ask(staff, brightness="0.2").json()["status"] == "pending"
    assert len(sent) == 1


def test_the_web_side_of_the_tool_never_imports_torch():
    script = (
        "import sys, django; django.setup(); "
        "from studies import tool, tool_views; "
        "request, notes = tool.tool_request_from({'mode': 'fuse', 'contrast': '2'}); "
        "tool.tool_anchor_choices(); "
        "print(notes, sorted(m for m in sys.modules if m in ('torch', 'workers.tasks')))"
    )
    found = subprocess.run(
        [sys.executable, "-c", script],
        cwd=WEIGHTS.parents[1],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "['Contrast 2 is outside [-1, 1]; 1 was used.'] []"
