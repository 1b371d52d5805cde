"""Benchmark: how long after a slider move of the Vis2Mus browser tool its clip is playable.

    .venv/bin/python bench/vis2mus_tool.py [--moves 20] [--broker redis://127.0.0.1:6379/13]

What it does: a fresh SYNLAB_VAR_DIR in a temporary folder (SQLite, media, and the embedded
filesystem broker unless --broker names a Redis one), migrated, with one staff user. One real
Celery worker is started on the `cpu` queue (solo pool, as `celery -A workers worker -Q cpu`).
The page's requests are made in this process through Django's test client, logged in as the
staff user: the same views, URLs, service and worker the browser uses, without an HTTP server.

A **slider move** is timed as the page does it: the GET of the render endpoint with the new
values, then the same GET every 100 ms (the page's POLL_MS) until it answers "ready", then the
GET of the clip until its last byte: from the move to a playable clip. Measured:

1. the first request after the worker started (torch, the model, the anchors load);
2. cold moves: --moves slider values never asked before (a photograph and a texture), each a
   worker render (decode, synthesis, FLAC, PNG);
3. warm moves: the same values again, answered from the cache;
4. the first fuse of a sketch and a style (the style transfer, cached after) and cold moves
   of a fused pair.

It prints median, p95 and max of each, the broker, CPU count and load average before and after
(the machine may be shared: compare with the load), and whether the target is met: a cold
slider move playable within 2 s at p95 on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script

POLL_S = 0.1  # the page's POLL_MS
TARGET_S = 2.0
RENDER_URL = "/researcher/vis2mus-tool/render"
TRANSFORM = {"photo": "photo/coffee", "texture": "texture/2"}
FUSE = {
    "mode": "fuse",
    "sketch": "sketch/horse",
    "style": "photo/coffee",
    "melody": "melody/0",
    "accompaniment": "accompaniment/1",
}


def prepare_environment(var_dir: Path, broker: str | None) -> dict:
    os.environ["SYNLAB_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("MEDIA_ROOT", None)
    if broker:
        os.environ["CELERY_BROKER_URL"] = broker
    else:
        os.environ.pop("CELERY_BROKER_URL", None)
    return dict(os.environ)


def django_client():
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench-password", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q", "cpu"]
    command += ["--pool", "solo", "--loglevel", "INFO", "--without-heartbeat"]
    command += ["--without-mingle", "--without-gossip"]
    with log.open("wb") as out:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while b" ready." not in log.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    return worker


def slider_move(client, query: dict) -> tuple[float, dict]:
    """Seconds from the move to the clip's last byte, and the final reply."""
    started = time.perf_counter()
    while True:
        reply = client.get(RENDER_URL, query).json()
        if reply["status"] != "pending":
            break
        if time.perf_counter() - started > 300:
            raise SystemExit(f"no answer after 300 s for {query}")
        time.sleep(POLL_S)
    if reply["status"] != "ready" or not reply["clip_url"]:
        raise SystemExit(f"not playable: {reply}")
    clip = b"".join(client.get(reply["clip_url"]).streaming_content)
    assert clip[:4] == b"fLaC", "the clip is a FLAC file"
    return time.perf_counter() - started, reply


def new_values(count: int, *, seed: int) -> list[dict]:
    """Slider positions on the page's 0.05 grid, all different, none at (0, 0)."""
    grid = [round(-1 + 0.05 * step, 2) for step in range(41)]
    pairs = {(0.0, 0.0)}
    rng = random.Random(seed)
    values = []
    while len(values) < count:
        pair = (rng.choice(grid), rng.choice(grid))
        if pair not in pairs:
            pairs.add(pair)
            values.append({"brightness": f"{pair[0]:g}", "contrast": f"{pair[1]:g}"})
    return values


def summary(name: str, seconds: list[float]) -> tuple[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{name:<34} n={len(seconds):<3} median {statistics.median(seconds):6.3f} s   "
        f"p95 {p95:6.3f} s   max {max(seconds):6.3f} s"
    ), p95


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run(moves: int, broker: str | None, keep: bool) -> int:
    var_dir = Path(tempfile.mkdtemp(prefix="synlab-bench-tool-"))
    env = prepare_environment(var_dir, broker)
    client = django_client()
    from django.conf import settings

    print(f"broker {settings.CELERY_BROKER_URL.split('@')[-1]}, database SQLite in {var_dir}")
    print(f"CPUs {os.cpu_count()}, load average before: {load()}")
    print(f"one worker (solo pool, -Q cpu); polling every {POLL_S * 1000:.0f} ms as the page does")
    worker = start_worker(env, var_dir / "worker.log")
    try:
        first, _ = slider_move(client, {**TRANSFORM, "brightness": "0.5"})
        values = new_values(moves, seed=1)
        cold = [slider_move(client, {**TRANSFORM, **v})[0] for v in values]
        warm = [slider_move(client, {**TRANSFORM, **v})[0] for v in values]
        first_fuse, _ = slider_move(client, FUSE)
        fuse_cold = [slider_move(client, {**FUSE, **v})[0] for v in values[: max(5, moves // 2)]]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    rendered = list((Path(settings.MEDIA_ROOT) / "vis2mus-tool" / "results").iterdir())
    print(f"load average after: {load()}; {len(rendered)} results cached")
    print()
    print(f"{'first request after worker start':<34} {first:6.3f} s (imports, model, anchors)")
    line, cold_p95 = summary("cold slider move (worker render)", cold)
    print(line)
    print(summary("warm slider move (cached)", warm)[0])
    print(f"{'first fuse of a sketch and style':<34} {first_fuse:6.3f} s (style transfer, cached)")
    print(summary("cold slider move, fused pair", fuse_cold)[0])
    met = cold_p95 <= TARGET_S
    print()
    print(
        f"target: a cold slider move playable within {TARGET_S:g} s (p95): "
        f"{'MET' if met else 'NOT MET'}"
    )
    if keep:
        print(f"files kept in {var_dir}")
    else:
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=20, help="cold slider moves to time")
    parser.add_argument("--broker", help="a Redis URL (default: the embedded filesystem broker)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    options = parser.parse_args()
    sys.exit(run(options.moves, options.broker, options.keep))


if __name__ == "__main__":
    main()
