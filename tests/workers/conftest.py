"""A real Celery worker process, on whichever broker and database the settings select."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url_of_test_db() -> str:
    config = connection.settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(config['NAME']).resolve()}"
    user = config.get("USER") or "postgres"
    host, port = config.get("HOST") or "127.0.0.1", config.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{config['NAME']}"


class WorkerProcess:
    """`pool="solo"` runs tasks in the worker process itself; `"prefork"` in one pool process."""

    def __init__(self, env: dict, *, log: Path, queues: str = "cpu,gpu", pool: str = "solo"):
        self.env = env
        self.queues = queues
        self.pool = ["--pool", "solo"] if pool == "solo" else ["--pool", "prefork", "-c", "1"]
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        with self.log.open("wb") as log:  # a file, not a pipe nobody reads: a full pipe blocks
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "workers",
                    "worker",
                    "-Q",
                    self.queues,
                    *self.pool,
                    "--loglevel",
                    "INFO",
                    "--without-heartbeat",
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to clean up, as in a crash or an OOM kill."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> str:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def worker_env(transactional_db, settings, tmp_path):
    broker = settings.CELERY_BROKER_URL
    if broker.startswith("redis"):
        import redis

        redis.Redis.from_url(broker).flushdb()
    else:
        for folder in (
            settings.CELERY_BROKER_DIR / "queue",
            settings.CELERY_BROKER_DIR / "processed",
        ):
            for message in folder.glob("*"):
                message.unlink()
    return {
        **os.environ,
        "DATABASE_URL": database_url_of_test_db(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": broker,
        "SYNLAB_BROKER_DIR": str(settings.CELERY_BROKER_DIR),
        "SYNLAB_JOB_LEASE_S": "2",
        "CELERY_VISIBILITY_TIMEOUT_S": "3",
    }


@pytest.fixture
def start_worker(worker_env, tmp_path):
    workers = []

    def start(queues: str = "cpu,gpu", pool: str = "solo") -> WorkerProcess:
        log = tmp_path / f"worker-{len(workers)}.log"
        worker = WorkerProcess(worker_env, log=log, queues=queues, pool=pool).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        output = worker.stop()
        if os.environ.get("SYNLAB_SHOW_WORKER_LOG"):
            print(output)


def wait_for(condition, *, timeout: float = 60.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"gave up waiting after {timeout} s")
