"""Benchmark: the participant path under gunicorn + PostgreSQL, against a bare one-row insert.

    .venv/bin/python bench/participant_path.py [--participants 200] [--concurrency 16]
        [--workers 4] [--threads 2] [--database-url postgres://postgres@127.0.0.1:5432/synlab_bench]

Drops and re-creates the benchmark database (its name must start with "synlab_bench"; only a
server on 127.0.0.1/localhost is accepted), migrates it, builds and publishes a 20-trial study
with the services, and starts gunicorn (config/gunicorn.conf.py, bench.settings, DEBUG=0 unless
--debug) on 127.0.0.1. Then N simulated participants, driven by a bounded pool of HTTP clients
(python `requests`, one cookie-keeping session each, CSRF token taken from the forms):

1. enrol: consent, demographics, instructions, preview, up to the first trial page (untimed);
2. answering: per trial one answer POST and the GET of the page it redirects to (the next trial,
   or the debrief after the last). answers/s = answers / wall time of this phase;
3. bare: the same number of POSTs, same concurrency, to a view on the same stack (middleware,
   CSRF, sessions, gunicorn, PostgreSQL) that inserts one row with one raw INSERT.

Finally the database is checked: every participant has exactly one answer per trial (none lost,
none duplicated), and the per-request query counts of the answer path are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STAGE_FIELD = re.compile(r'name="stage" value="([a-z_]+)"')
TRIAL_FIELD = re.compile(r'name="trial" value="([0-9a-f-]+)"')
DONE_MARK = 'class="completion-code"'
STAGE_DATA = {
    "demographics": {"gender": "female", "age_band": "25-34", "musical_level": "amateur"},
    "instructions": {},
    "preview": {},
}
PAGES_BEFORE_TEST = 8  # consent is separate; demographics, instructions, preview, with slack
N_OPTIONS = 3


@dataclass(frozen=True)
class Config:
    participants: int = 200
    trials: int = 20
    concurrency: int = 16
    workers: int = 4
    threads: int = 2
    database_url: str = "postgres://postgres@127.0.0.1:5432/synlab_bench"
    debug: bool = False
    max_seconds: float = 1200.0
    request_timeout_s: float = 30.0
    connection_retries: int = 2
    keep_files: bool = False
    answer_path: str = "script"  # "script": one JSON request per answer; "form": POST + page GET


class ClientError(Exception):
    """A simulated participant or bare client got an answer it should not have."""


@dataclass
class Timings:
    """Latencies in seconds per request kind; list.append is atomic, so threads share one."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    retries: int = 0

    def add(self, kind: str, seconds: float) -> None:
        self.samples.setdefault(kind, []).append(seconds)

    def count(self, kind: str) -> int:
        return len(self.samples.get(kind, []))


@dataclass(frozen=True)
class PhaseResult:
    name: str
    units: int
    wall_s: float
    cpu_busy_cores: float
    client_cpu_s: float
    server_cpu_s: float
    db_cpu_s: float
    failures: list[str]

    @property
    def per_second(self) -> float:
        return self.units / self.wall_s if self.wall_s > 0 else 0.0


# ----------------------------------------------------------------------------- environment


def bench_environment(*, config: Config, var_dir: Path, port: int) -> dict[str, str]:
    """What both this process (setup, checks) and gunicorn run with."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": config.database_url,
        "DB_CONN_MAX_AGE": "60",
        "DEBUG": "1" if config.debug else "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SYNLAB_VAR_DIR": str(var_dir),
        "CELERY_TASK_ALWAYS_EAGER": "1",  # the study build runs here, not in a worker
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(config.workers),
        "GUNICORN_THREADS": str(config.threads),
        "GUNICORN_ACCESS_LOG": "-",
    }


def free_local_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def checked_database_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"refusing a database that is not on this machine: {parts.hostname}")
    if not parts.path.lstrip("/").startswith("synlab_bench"):
        raise SystemExit("the benchmark database (it is dropped) must be named synlab_bench*")
    return url


def recreate_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def prepare_django(env: dict[str, str]) -> None:
    """Settings from env, schema, collected static files (DEBUG=0 serves the manifest)."""
    os.environ.update(env)
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    from bench.urls import create_ping_table_sql

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute(create_ping_table_sql(connection.vendor))


def build_study(*, trials: int, participants: int) -> tuple[str, int]:
    """A live 3-option study with `trials` test trials (and one preview example per class).

    Every participant gets every trial; the per-trial rater quota leaves room for all of them
    and for the one extra participant of `request_costs`, so the study stays open throughout.
    """
    from django.core.files.uploadedfile import SimpleUploadedFile

    from studies import generation, services
    from studies.models import Phase, Study, Trial
    from tests.factories import upload_zip

    classes = ("red", "green", "blue")
    upload = upload_zip(classes=classes, test_per_class=-(-trials // len(classes)) + 1)
    study = services.study_create(
        name="Benchmark: colour and pitch",
        kind="uploaded_set",
        design_params={"n_options": N_OPTIONS, "n_preview_per_class": 1, "n_test_trials": trials},
        seed=11,
        raters_per_trial=participants + 1,
        upload=SimpleUploadedFile("set.zip", upload, content_type="application/zip"),
    )
    job = generation.study_generate(study=study)
    generation.generation_job_run(job_id=job.pk)  # nothing to do when the eager build ran it
    study.refresh_from_db()
    if study.status != Study.Status.READY:
        raise SystemExit(f"the benchmark study was not built: {study.build_problems}")
    study = services.study_publish(study=study)
    test_trials = Trial.objects.filter(phase__study=study, phase__kind=Phase.Kind.TEST).count()
    return study.slug, test_trials


# ----------------------------------------------------------------------------- gunicorn


def start_gunicorn(*, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--config",
        str(ROOT / "config" / "gunicorn.conf.py"),
        "config.wsgi:application",
    ]
    with log_path.open("wb") as log:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_serving(*, server: subprocess.Popen, base_url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see its log")
        try:
            if requests.get(f"{base_url}/bench/ping/", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # still booting
        time.sleep(0.25)
    raise SystemExit(f"gunicorn did not answer within {timeout_s:.0f} s")


def stop_gunicorn(server: subprocess.Popen | None) -> None:
    """SIGTERM to the master we started (graceful), SIGKILL to it if it will not go."""
    if server is None or server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def gunicorn_settings_line(config: Config) -> str:
    namespace: dict = {}
    exec((ROOT / "config" / "gunicorn.conf.py").read_text(), namespace)
    return (
        f"gunicorn {namespace['worker_class']} {config.workers} workers x {config.threads} "
        f"threads, keepalive {namespace['keepalive']} s, max_requests "
        f"{namespace['max_requests']}+-{namespace['max_requests_jitter']}, access log on"
    )


# ----------------------------------------------------------------------------- clients


class HttpClient:
    """One browser: a cookie-keeping keep-alive session, bounded retries on dropped connections."""

    def __init__(self, *, base_url: str, config: Config, timings: Timings, deadline: float):
        self.base_url = base_url
        self.config = config
        self.timings = timings
        self.deadline = deadline
        self.session = requests.Session()

    def request(self, method: str, path: str, *, kind: str, **kwargs) -> requests.Response:
        if time.monotonic() > self.deadline:
            raise ClientError("the benchmark ran out of time")
        for attempt in range(self.config.connection_retries + 1):
            started = time.perf_counter()
            try:
                response = self.session.request(
                    method,
                    self.base_url + path,
                    allow_redirects=False,
                    timeout=self.config.request_timeout_s,
                    **kwargs,
                )
            except requests.ConnectionError:
                if attempt == self.config.connection_retries:
                    raise
                self.timings.retries += 1
                continue
            self.timings.add(kind, time.perf_counter() - started)
            return response
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.session.close()  # drops the connection, keeps the cookies


class SimulatedParticipant(HttpClient):
    def __init__(self, *, number: int, slug: str, **kwargs):
        super().__init__(**kwargs)
        self.number = number
        self.slug = slug
        self.path = ""
        self.page = ""
        self.answers = 0
        self.rng = random.Random(number)

    def enrol(self) -> None:
        """From the study link to the first trial page."""
        consent = self.expect(self.request("GET", f"/s/{self.slug}/", kind="enrol"), 200)
        form = {"consent": "on", "csrfmiddlewaretoken": form_csrf(consent.text)}
        enrolled = self.request("POST", f"/s/{self.slug}/", kind="enrol", data=form)
        self.expect(enrolled, 302)
        self.path = urlsplit(enrolled.headers["Location"]).path
        for _ in range(PAGES_BEFORE_TEST):
            self.page = self.expect(self.request("GET", self.path, kind="enrol"), 200).text
            stage = page_stage(self.page)
            if stage == "test":
                return
            if stage not in STAGE_DATA:
                raise ClientError(f"participant {self.number}: unexpected page, stage {stage!r}")
            data = {"stage": stage, **STAGE_DATA[stage]}
            data["csrfmiddlewaretoken"] = form_csrf(self.page)
            self.expect(self.request("POST", self.path, kind="enrol", data=data), 302)
        raise ClientError(f"participant {self.number} never reached the trials")

    def answer_all(self, *, trials: int) -> None:
        if self.config.answer_path == "script":
            self.answer_all_as_script(trials=trials)
        else:
            self.answer_all_as_form(trials=trials)

    def answer_all_as_script(self, *, trials: int) -> None:
        """Per trial one request, as the page's script sends it: the reply holds the next trial."""
        trial, csrf = page_trial(self.page), form_csrf(self.page)
        for index in range(trials):
            answer = {
                "trial": trial,
                "choice": str(self.rng.randrange(N_OPTIONS)),
                "rt_ms": str(self.rng.randint(400, 4000)),
                "plays": "1",
                "heard_to_end": "true",
                "client_sent_at": datetime.now(UTC).isoformat(),
            }
            posted = self.request(  # as static/synlab/trial.js sends it: JSON, token in a header
                "POST",
                f"{self.path}answer",
                kind="answer POST",
                data=json.dumps(answer),
                headers={"Content-Type": "application/json", "X-CSRFToken": csrf},
            )
            reply = self.expect(posted, 200).json()
            self.answers += 1
            if reply["next"] is None:
                break
            if reply["next"]["trial"] == trial:
                raise ClientError(f"participant {self.number}: answer {index + 1} not taken")
            trial = reply["next"]["trial"]
        self.page = self.expect(self.request("GET", self.path, kind="page GET"), 200).text
        if DONE_MARK not in self.page:
            raise ClientError(f"participant {self.number}: no debrief after {trials} answers")

    def answer_all_as_form(self, *, trials: int) -> None:
        """Per trial: POST the answer, GET the page it redirects to (the next trial or the end)."""
        for index in range(trials):
            trial = page_trial(self.page)
            if trial is None:
                raise ClientError(f"participant {self.number}: no trial on page {index + 1}")
            answer = {
                "csrfmiddlewaretoken": form_csrf(self.page),
                "stage": "test",
                "trial": trial,
                "choice": self.rng.randrange(N_OPTIONS),
                "rt_ms": self.rng.randint(400, 4000),
                "plays": 1,
                "heard_to_end": "true",
                "client_sent_at": datetime.now(UTC).isoformat(),
            }
            posted = self.request("POST", self.path, kind="answer POST", data=answer)
            self.expect(posted, 302)
            self.answers += 1
            self.page = self.expect(self.request("GET", self.path, kind="page GET"), 200).text
            if page_trial(self.page) == trial:
                raise ClientError(f"participant {self.number}: answer {index + 1} not taken")
        if DONE_MARK not in self.page:
            raise ClientError(f"participant {self.number}: no debrief after {trials} answers")

    def expect(self, response: requests.Response, status: int) -> requests.Response:
        if response.status_code != status:
            raise ClientError(
                f"participant {self.number}: {response.request.method} {response.url} gave "
                f"{response.status_code}, expected {status}: {response.text[:200]!r}"
            )
        return response


class BareClient(HttpClient):
    def __init__(self, *, number: int, kind: str, **kwargs):
        super().__init__(**kwargs)
        self.number = number
        self.kind = kind
        self.token = ""

    def fetch_token(self) -> None:
        response = self.request("GET", "/bench/ping/", kind="bare GET")
        if response.status_code != 200:
            raise ClientError(f"bare client {self.number}: token GET gave {response.status_code}")
        self.token = response.text

    def insert_rows(self, *, rows: int) -> None:
        for seq in range(rows):
            response = self.request(
                "POST",
                "/bench/ping/",
                kind=self.kind,
                data={"client": self.number, "seq": seq},
                headers={"X-CSRFToken": self.token},
            )
            if response.status_code != 200:
                raise ClientError(f"bare client {self.number}: POST gave {response.status_code}")


def form_csrf(html: str) -> str:
    found = CSRF_FIELD.search(html)
    if found is None:
        raise ClientError("no CSRF token in the form")
    return found.group(1)


def page_stage(html: str) -> str | None:
    if DONE_MARK in html:
        return "done"
    found = STAGE_FIELD.search(html)
    return found.group(1) if found else None


def page_trial(html: str) -> str | None:
    found = TRIAL_FIELD.search(html)
    return found.group(1) if found else None


# ----------------------------------------------------------------------------- phases


def cpu_jiffies() -> tuple[int, int]:
    """(busy, total) over all CPUs since boot, from /proc/stat (zeros where there is none)."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


@dataclass(frozen=True)
class ProcessCpu:
    parent: int
    own_s: float  # user + system
    reaped_children_s: float  # children that exited and were waited for


def process_cpu(pid: int) -> ProcessCpu | None:
    """CPU seconds of a process, from /proc/<pid>/stat; None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # fields[0] is the state, field 3 of proc(5)
    tick = os.sysconf("SC_CLK_TCK")
    return ProcessCpu(
        parent=int(fields[1]),
        own_s=(int(fields[11]) + int(fields[12])) / tick,
        reaped_children_s=(int(fields[13]) + int(fields[14])) / tick,
    )


def process_command(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def process_ids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


class CpuProbe:
    """CPU seconds that our gunicorn and our database's backends use during a phase.

    Per process, from /proc, so the other programs on a shared machine do not count. gunicorn:
    the master, its live workers, and the workers it recycled (max_requests) and reaped. The
    backends (named "postgres: <user> <database> ..." by PostgreSQL) are sampled every half
    second, so a backend that ends between two samples loses at most its last half second.
    """

    def __init__(self, *, server_pid: int, database: str, interval_s: float = 0.5):
        self.server_pid = server_pid
        self.database = database
        self.interval_s = interval_s
        self.stop = threading.Event()
        self.sampler: threading.Thread | None = None
        self.server_before = 0.0
        self.backends_first: dict[int, float] = {}
        self.backends_last: dict[int, float] = {}

    def __enter__(self) -> CpuProbe:
        self.server_before = self.server_cpu_s()
        self.backends_first = self.backends_cpu_s()
        self.backends_last = dict(self.backends_first)
        self.stop.clear()
        self.sampler = threading.Thread(target=self.sample_backends, daemon=True)
        self.sampler.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        if self.sampler is not None:
            self.sampler.join(timeout=5)
        self.backends_last.update(self.backends_cpu_s())

    def sample_backends(self) -> None:
        while not self.stop.wait(self.interval_s):
            self.backends_last.update(self.backends_cpu_s())

    def server_cpu_s(self) -> float:
        master = process_cpu(self.server_pid)
        if master is None:
            return 0.0
        workers = (process_cpu(pid) for pid in process_ids())
        live = sum(w.own_s for w in workers if w is not None and w.parent == self.server_pid)
        return master.own_s + master.reaped_children_s + live

    def backends_cpu_s(self) -> dict[int, float]:
        usage = {}
        for pid in process_ids():
            words = process_command(pid).split()  # postgres: [cluster:] user database host
            if words[:1] == ["postgres:"] and self.database in words[1:4]:
                found = process_cpu(pid)
                if found is not None:
                    usage[pid] = found.own_s
        return usage

    def server_used_s(self) -> float:
        return self.server_cpu_s() - self.server_before

    def database_used_s(self) -> float:
        first = self.backends_first
        return sum(cpu - first.get(pid, 0.0) for pid, cpu in self.backends_last.items())


def run_phase(
    *,
    name: str,
    clients: Iterable,
    work: Callable,
    units_each: int,
    concurrency: int,
    probe: CpuProbe,
) -> PhaseResult:
    """Run `work(client)` for every client with at most `concurrency` at a time."""
    clients = list(clients)
    failures: list[str] = []
    lock = threading.Lock()

    def guarded(client) -> None:
        try:
            work(client)
        except (ClientError, requests.RequestException) as error:
            with lock:
                failures.append(str(error))

    busy_before, total_before = cpu_jiffies()
    client_cpu_before = time.process_time()
    with probe, ThreadPoolExecutor(max_workers=concurrency) as pool:
        started = time.perf_counter()
        list(pool.map(guarded, clients))
        wall = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu_before
        server_cpu = probe.server_used_s()
    busy_after, total_after = cpu_jiffies()
    total = total_after - total_before
    busy_cores = (busy_after - busy_before) / total * (os.cpu_count() or 1) if total else 0.0
    return PhaseResult(
        name=name,
        units=units_each * len(clients) - len(failures) * units_each,
        wall_s=wall,
        cpu_busy_cores=busy_cores,
        client_cpu_s=client_cpu,
        server_cpu_s=server_cpu,
        db_cpu_s=probe.database_used_s(),
        failures=failures,
    )


def close_all(clients: Iterable[HttpClient]) -> None:
    for client in clients:
        client.close()


# ----------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class AnswerCheck:
    expected: int
    stored: int
    distinct_pairs: int
    complete_participants: int
    participants: int
    unique_constraint: bool

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.distinct_pairs)

    @property
    def duplicated(self) -> int:
        return self.stored - self.distinct_pairs


def check_answers(*, slug: str, participants: int, trials: int) -> AnswerCheck:
    from django.db.models import Count

    from studies.models import Participant, Response

    answers = Response.objects.filter(participant__study__slug=slug)
    per_participant = (
        Participant.objects.filter(study__slug=slug)
        .annotate(n=Count("responses"))
        .values_list("n", flat=True)
    )
    distinct_pairs = answers.values("participant_id", "trial_id").distinct().count()
    return AnswerCheck(
        expected=participants * trials,
        stored=answers.count(),
        distinct_pairs=distinct_pairs,
        complete_participants=sum(1 for n in per_participant if n == trials),
        participants=len(per_participant),
        unique_constraint=response_unique_constraint_exists(),
    )


def response_unique_constraint_exists() -> bool:
    from django.db import connection

    from studies.models import Response

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Response._meta.db_table)
    return any(
        details["unique"] and sorted(details["columns"]) == ["participant_id", "trial_id"]
        for details in constraints.values()
    )


def check_bare_rows() -> tuple[int, int]:
    from django.db import connection

    from bench.urls import PING_TABLE

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(DISTINCT (client, seq)) FROM {PING_TABLE} WHERE seq >= 0"
        )
        stored, distinct = cursor.fetchone()
    return stored, distinct


@dataclass(frozen=True)
class RequestCost:
    """One request kind handled in this process, one at a time: no HTTP, no concurrency."""

    queries: float
    wall_ms: float
    cpu_ms: float


def request_costs(*, slug: str, trials: int) -> dict[str, RequestCost]:
    """Queries and single-request time of one extra participant's answers and pages, and of the
    bare view, through Django's in-process test client (median over `trials` requests each)."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")

    def fetch(path: str) -> str:
        return client.get(path).content.decode()

    location = client.post(f"/s/{slug}/", {"consent": "on"})["Location"]
    page = fetch(location)
    for _ in range(PAGES_BEFORE_TEST):
        stage = page_stage(page)
        if stage not in STAGE_DATA:
            break
        client.post(location, {"stage": stage, **STAGE_DATA[stage]})
        page = fetch(location)
    samples: dict[str, list[tuple[int, float, float]]] = {
        "answer POST": [],
        "page GET": [],
        "bare POST": [],
    }
    for _ in range(trials):
        trial = page_trial(page)
        if trial is None:
            break
        answer = {"trial": trial, "choice": "0", "rt_ms": "900", "plays": "1"}
        answer["heard_to_end"] = "true"
        body = json.dumps(answer)
        replies: list[dict] = []
        samples["answer POST"].append(
            measured(
                lambda b=body, into=replies: into.append(
                    client.post(f"{location}answer", b, content_type="application/json")
                )
            )
        )
        reply = replies[0].json()
        if reply["next"] is None:
            break
        page = f'name="trial" value="{reply["next"]["trial"]}"'
        samples["page GET"].append(measured(lambda: fetch(location)))
        bare = {"client": -1, "seq": -1}
        samples["bare POST"].append(measured(lambda b=bare: client.post("/bench/ping/", b)))
    return {kind: median_cost(values) for kind, values in samples.items() if values}


def measured(request: Callable[[], object]) -> tuple[int, float, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        wall, cpu = time.perf_counter(), time.process_time()
        request()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(queries), 1000 * wall, 1000 * cpu


def median_cost(values: list[tuple[int, float, float]]) -> RequestCost:
    middle = len(values) // 2
    return RequestCost(
        queries=sorted(v[0] for v in values)[middle],
        wall_ms=sorted(v[1] for v in values)[middle],
        cpu_ms=sorted(v[2] for v in values)[middle],
    )


# ----------------------------------------------------------------------------- report


def percentile_ms(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return 1000 * ordered[rank]


TABLE_HEADER = (
    f"{'phase':<34}{'units':>14}{'wall s':>8}{'units/s':>9}  {'latency of':<12}{'p50 ms':>8}"
    f"{'p95 ms':>8}  {'CPU ms/unit: server':>19}{'db':>6}{'client':>7}{'busy cores':>11}"
)


def phase_row(result: PhaseResult, timings: Timings, kind: str, unit: str) -> str:
    samples = timings.samples.get(kind, [])
    per_unit = 1000 / result.units if result.units else float("nan")
    return (
        f"{result.name:<34}{result.units:>6} {unit:<7}{result.wall_s:>8.1f}"
        f"{result.per_second:>9.1f}  {kind:<12}{percentile_ms(samples, 50):>8.1f}"
        f"{percentile_ms(samples, 95):>8.1f}  {result.server_cpu_s * per_unit:>19.1f}"
        f"{result.db_cpu_s * per_unit:>6.1f}{result.client_cpu_s * per_unit:>7.1f}"
        f"{result.cpu_busy_cores:>11.2f}"
    )


def latency_row(timings: Timings, kind: str) -> str:
    samples = timings.samples.get(kind, [])
    return (
        f"{'':<34}{'':>14}{'':>8}{'':>9}  {kind:<12}{percentile_ms(samples, 50):>8.1f}"
        f"{percentile_ms(samples, 95):>8.1f}"
    )


def print_table(
    *,
    enrol: PhaseResult,
    answering: PhaseResult,
    bare: tuple[PhaseResult, PhaseResult],
    timings: Timings,
) -> None:
    print()
    print("=" * len(TABLE_HEADER))
    print(TABLE_HEADER)
    print("-" * len(TABLE_HEADER))
    print(phase_row(bare[0], timings, "bare before", "rows"))
    print(phase_row(enrol, timings, "enrol", "people"))
    print(phase_row(answering, timings, "answer POST", "answers"))
    print(latency_row(timings, "page GET"))
    print(phase_row(bare[1], timings, "bare after", "rows"))
    print("-" * len(TABLE_HEADER))


def print_summary(
    *,
    config: Config,
    trials: int,
    enrol: PhaseResult,
    answering: PhaseResult,
    bare: tuple[PhaseResult, PhaseResult],
    timings: Timings,
    answers: AnswerCheck,
    bare_rows: tuple[int, int],
    costs: dict[str, RequestCost],
) -> bool:
    print_table(enrol=enrol, answering=answering, bare=bare, timings=timings)
    bare_rate = sum(result.per_second for result in bare) / len(bare)
    ratio = answering.per_second / bare_rate if bare_rate else 0.0
    print(
        f"answers/s {answering.per_second:.1f} / bare rows/s {bare_rate:.1f} (mean of before "
        f"and after) = ratio {ratio:.2f} (target >= 0.70: {'MET' if ratio >= 0.7 else 'NOT MET'})"
    )
    if config.answer_path == "form":
        print(
            f"  every answer is 2 requests (answer POST + the page it redirects to): "
            f"{2 * answering.per_second:.1f} requests/s, {2 * ratio:.2f} of the bare view's"
        )
    else:
        print("  every answer is 1 request (the script's POST; its reply carries the next trial)")
    print(
        f"integrity: {answers.stored} answers stored of {answers.expected} expected; "
        f"{answers.complete_participants}/{config.participants} participants with all {trials}; "
        f"lost {answers.lost}, duplicated {answers.duplicated}; unique (participant, trial) "
        f"constraint {'present' if answers.unique_constraint else 'MISSING'}"
    )
    bare_stored, bare_distinct = bare_rows
    print(
        f"bare rows: {bare_stored} stored of {len(bare) * config.participants * trials}, "
        f"{bare_stored - bare_distinct} duplicated; client connection retries {timings.retries}"
    )
    print("one request at a time, in this process (median):")
    for kind, cost in costs.items():
        print(
            f"  {kind:<12}{cost.queries:>4.0f} SQL queries {cost.wall_ms:>7.1f} ms wall "
            f"{cost.cpu_ms:>7.1f} ms CPU"
        )
    failures = [(r.name, f) for r in (enrol, answering, *bare) for f in r.failures]
    for name, failure in failures[:10]:
        print(f"FAILURE in {name}: {failure}")
    print("=" * len(TABLE_HEADER))
    intact = answers.lost == 0 and answers.duplicated == 0 and answers.unique_constraint
    return intact and not failures


# ----------------------------------------------------------------------------- main


def run(config: Config) -> bool:
    port = free_local_port()
    base_url = f"http://127.0.0.1:{port}"
    var_dir = Path(tempfile.mkdtemp(prefix="synlab-bench-"))
    env = bench_environment(config=config, var_dir=var_dir, port=port)
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
    print(
        f"load average before the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
        "(other programs on the machine share the CPUs: compare phases, not runs)"
    )
    print(f"database: {config.database_url} (dropped and re-created)")
    recreate_database(config.database_url)
    prepare_django(env)
    slug, trials = build_study(trials=config.trials, participants=config.participants)
    print(f"study /s/{slug}/: {trials} test trials, {N_OPTIONS} options, 1 preview per class")
    print(
        f"server: {gunicorn_settings_line(config)}, DEBUG={'1' if config.debug else '0'} "
        f"(bench.settings: production settings over plain http), {base_url}"
    )
    print(
        f"clients: {config.concurrency} concurrent (python requests {requests.__version__}, "
        f"one keep-alive session per participant), {config.participants} participants"
    )
    from django.db import connections

    connections.close_all()
    log_path = var_dir / "gunicorn.log"
    server = None
    succeeded = False
    try:
        server = start_gunicorn(env=env, log_path=log_path)
        wait_until_serving(server=server, base_url=base_url, timeout_s=90)
        succeeded = drive_and_report(
            config=config,
            base_url=base_url,
            slug=slug,
            trials=trials,
            probe=CpuProbe(
                server_pid=server.pid, database=urlsplit(config.database_url).path.lstrip("/")
            ),
        )
    finally:
        stop_gunicorn(server)
        print(f"load average after the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        if succeeded and not config.keep_files:
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            print(f"files kept in {var_dir} (gunicorn log: {log_path})")
    return succeeded


def drive_and_report(
    *, config: Config, base_url: str, slug: str, trials: int, probe: CpuProbe
) -> bool:
    deadline = time.monotonic() + config.max_seconds
    timings = Timings()
    common = {"base_url": base_url, "config": config, "timings": timings, "deadline": deadline}
    phase = {"concurrency": config.concurrency, "probe": probe}
    bare_before = bare_phase(
        kind="bare before", first_client=0, trials=trials, common=common, phase=phase
    )
    people = [
        SimulatedParticipant(number=n, slug=slug, **common) for n in range(config.participants)
    ]
    print("enrolling (consent -> first trial page)...", flush=True)
    enrol = run_phase(
        name="enrol (consent..first trial)",
        clients=people,
        work=SimulatedParticipant.enrol,
        units_each=1,
        **phase,
    )
    close_all(people)
    enrolled = [person for person in people if person.page and page_trial(person.page)]
    print(f"answering ({len(enrolled)} participants x {trials} trials)...", flush=True)
    answering = run_phase(
        name=f"answering ({config.answer_path} path)",
        clients=enrolled,
        work=lambda person: person.answer_all(trials=trials),
        units_each=trials,
        **phase,
    )
    answering = PhaseResult(**{**vars(answering), "units": sum(p.answers for p in enrolled)})
    close_all(people)
    bare_after = bare_phase(
        kind="bare after",
        first_client=config.participants,
        trials=trials,
        common=common,
        phase=phase,
    )
    answers = check_answers(slug=slug, participants=config.participants, trials=trials)
    bare_rows = check_bare_rows()
    costs = request_costs(slug=slug, trials=trials)
    return print_summary(
        config=config,
        trials=trials,
        enrol=enrol,
        answering=answering,
        bare=(bare_before, bare_after),
        timings=timings,
        answers=answers,
        bare_rows=bare_rows,
        costs=costs,
    )


def bare_phase(*, kind: str, first_client: int, trials: int, common: dict, phase: dict):
    """As many one-row POSTs as the participants send answers, from as many clients."""
    participants = common["config"].participants
    clients = [
        BareClient(number=first_client + n, kind=kind, **common) for n in range(participants)
    ]
    name = f"{kind} (POST, 1 raw INSERT)"
    tokens = run_phase(
        name="bare token", clients=clients, work=BareClient.fetch_token, units_each=1, **phase
    )
    close_all(clients)
    print(f"{name}: {participants} clients x {trials} one-row POSTs...", flush=True)
    result = run_phase(
        name=name,
        clients=[client for client in clients if client.token],
        work=lambda client: client.insert_rows(rows=trials),
        units_each=trials,
        **phase,
    )
    close_all(clients)
    return PhaseResult(**{**vars(result), "failures": tokens.failures + result.failures})


def parse_config(argv: list[str] | None = None) -> Config:
    defaults = Config()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=defaults.participants)
    parser.add_argument("--trials", type=int, default=defaults.trials)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--database-url", default=defaults.database_url)
    parser.add_argument("--debug", action="store_true", help="run the server with DEBUG=1")
    parser.add_argument("--max-seconds", type=float, default=defaults.max_seconds)
    parser.add_argument("--keep-files", action="store_true", help="keep media and gunicorn log")
    parser.add_argument(
        "--answer-path",
        choices=["script", "form"],
        default=defaults.answer_path,
        help="script: one JSON request per answer (what browsers do); form: POST + page GET",
    )
    args = parser.parse_args(argv)
    if min(args.participants, args.trials, args.concurrency, args.workers, args.threads) < 1:
        parser.error("counts must be at least 1")
    return Config(
        participants=args.participants,
        trials=args.trials,
        concurrency=args.concurrency,
        workers=args.workers,
        threads=args.threads,
        database_url=checked_database_url(args.database_url),
        debug=args.debug,
        max_seconds=args.max_seconds,
        keep_files=args.keep_files,
        answer_path=args.answer_path,
    )


def main(argv: list[str] | None = None) -> int:
    return 0 if run(parse_config(argv)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
