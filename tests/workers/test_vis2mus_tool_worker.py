"""A real worker renders the Vis2Mus tool's requests: a slider move becomes a picture and a
clip; a worker killed in the middle of a render leaves nothing half-built, and the page's next
ask after the pending time is answered by the next worker."""

import io
import re
import time

import pytest
import soundfile
from PIL import Image

from studies import tool
from tests.workers.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.once]
RENDER_URL = "/researcher/vis2mus-tool/render"


@pytest.fixture
def staff(client, researcher):
    client.force_login(researcher)
    return client


def rendered(client, query: dict, *, timeout: float = 90.0) -> dict:
    """Ask as the page does, every 100 ms, until the worker's answer is there."""

    def answer():
        reply = client.get(RENDER_URL, query).json()
        return reply if reply["status"] != "pending" else None

    return wait_for(answer, timeout=timeout, every=0.1)


def content(client, url: str) -> bytes:
    return b"".join(client.get(url).streaming_content)


def test_a_worker_renders_slider_moves_and_keeps_its_model_loaded(start_worker, staff):
    worker = start_worker(queues="cpu")
    query = {"photo": "photo/astronaut", "texture": "texture/4", "brightness": "0.5"}
    first = rendered(staff, query)
    assert first["status"] == "ready", first
    picture = Image.open(io.BytesIO(content(staff, first["picture_url"])))
    assert picture.size == (128, 128)
    samples, rate = soundfile.read(io.BytesIO(content(staff, first["clip_url"])))
    assert samples.any() and len(samples) / rate > 4.5

    started = time.perf_counter()
    moved = rendered(staff, {**query, "contrast": "-0.35"})
    assert moved["status"] == "ready" and moved["key"] != first["key"]
    assert content(staff, moved["clip_url"]) != content(staff, first["clip_url"])
    assert time.perf_counter() - started < 30

    log = worker.stop()
    assert log.count("vis2mus_tool_render_task") >= 2, log[-2000:]
    assert len(re.findall(r"succeeded in [0-9.]+s: 'ready'", log)) == 2, log[-2000:]


def test_a_worker_killed_mid_render_leaves_nothing_and_the_next_worker_renders_it(
    start_worker, staff, monkeypatch
):
    monkeypatch.setattr(tool, "PENDING_S", 3.0)  # the page's next ask after 3 s sends it again
    first = start_worker(queues="cpu")
    # A first fuse of a sketch and a style photo: ~4 s of style transfer before anything is
    # written, so the kill lands in the middle.
    query = {
        "mode": "fuse",
        "sketch": "sketch/clock",
        "style": "photo/grass",
        "melody": "melody/2",
        "accompaniment": "accompaniment/3",
    }
    reply = staff.get(RENDER_URL, query).json()
    assert reply["status"] == "pending"
    wait_for(lambda: "vis2mus_tool_render_task" in first.log.read_text(errors="replace"))
    time.sleep(1.0)
    first.kill()

    results = tool.results_dir()
    assert not (results / reply["key"]).exists()
    leftovers = [p.name for p in tool.cache_dir().rglob("*") if p.is_file()]
    assert all(name == reply["key"] or name.endswith(".partial") for name in leftovers), leftovers
    assert staff.get(RENDER_URL, query).json()["status"] == "pending"

    start_worker(queues="cpu")
    done = rendered(staff, query)
    assert done["status"] == "ready" and done["key"] == reply["key"]
    stored = sorted(p.name for p in (results / done["key"]).iterdir())
    assert stored == ["clip.flac", "clip.mid", "picture.png", "result.json"]
    assert not list(results.glob(".*")), "no partial folder"
