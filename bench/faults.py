"""Faults at load: a gunicorn worker killed, Redis restarted, PostgreSQL restarted mid-burst.

    .venv/bin/python bench/faults.py [--fault worker-kill|redis-restart|postgres-restart|all]
        [--participants 100] [--trials 20] [--concurrency 16] [--at-s 2]

Each fault gets its own run: the benchmark database is re-created (bench/participant_path.py's
rules: a local database named synlab_bench*), a 20-trial study is built and published, gunicorn
starts (config/gunicorn.conf.py, DEBUG=0, the shared cache on Redis db 5), every participant
enrols, then all answer at once through the page script's JSON path. `--at-s` seconds into the
answering the fault happens:

- worker-kill: SIGKILL to one gunicorn worker, then another 2 s later (gunicorn forks new ones);
  requests in flight on it lose their connection;
- redis-restart: Redis is shut down (nosave) and started again 2 s later with the same port, bind
  and directory (the shared cache, which the rate limits use, is gone meanwhile);
- postgres-restart: `pg_ctlcluster <version> main restart -m fast` (every connection ends).

The participants behave like static/synlab/trial.js: a 503 is waited out (Retry-After) and the
same answer sent again; a dropped connection is retried after 0.5 s. Afterwards the database is
checked: every participant has exactly one answer per trial (none lost, none duplicated) and
every answer the server acknowledged is stored. Printed per fault: answers stored/expected,
lost, duplicated, 503 replies, other 5xx, connection retries, the slowest answer.

The restarts hit whatever servers --database-url and --redis-url name, so give the benchmark
servers of its own when anything else runs on the machine (a test run would fail with them):

    pg_createcluster 15 faults --port 5433 --start -- --auth=trust
    redis-server --daemonize yes --bind 127.0.0.1 --port 6380 --save "" --dir /tmp
    .venv/bin/python bench/faults.py \\
        --database-url postgres://postgres@127.0.0.1:5433/synlab_bench_faults \\
        --redis-url redis://127.0.0.1:6380/5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script

from bench.participant_path import (  # noqa: E402
    ClientError,
    Config,
    SimulatedParticipant,
    Timings,
    bench_environment,
    build_study,
    check_answers,
    checked_database_url,
    free_local_port,
    prepare_django,
    recreate_database,
    start_gunicorn,
    stop_gunicorn,
    wait_until_serving,
)

FAULTS = ("worker-kill", "redis-restart", "postgres-restart")
MAX_WAIT_S = 120.0  # a participant gives up on one request after this long


@dataclass
class FaultLog:
    """What the participants met; list.append and += under the lock."""

    outage_replies: int = 0
    other_server_errors: int = 0
    connection_retries: int = 0
    events: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


class PatientParticipant(SimulatedParticipant):
    """A participant whose page waits out a 503 and resends, as trial.js does."""

    def __init__(self, *, log: FaultLog, **kwargs):
        super().__init__(**kwargs)
        self.log = log

    def request(self, method: str, path: str, *, kind: str, **kwargs) -> requests.Response:
        given_up = time.monotonic() + MAX_WAIT_S
        while True:
            started = time.perf_counter()
            try:
                response = self.session.request(
                    method,
                    self.base_url + path,
                    allow_redirects=False,
                    timeout=self.config.request_timeout_s,
                    **kwargs,
                )
            except requests.RequestException:
                self.log.count("connection_retries")
                self.session.close()
                self.wait_or_give_up(0.5, given_up, f"{method} {path}: no connection")
                continue
            if response.status_code == 503:
                self.log.count("outage_replies")
                wait = min(float(response.headers.get("Retry-After", 5)), 5.0)
                self.wait_or_give_up(wait, given_up, f"{method} {path}: 503 for too long")
                continue
            if response.status_code >= 500:
                self.log.count("other_server_errors")
            self.timings.add(kind, time.perf_counter() - started)
            return response

    @staticmethod
    def wait_or_give_up(seconds: float, given_up: float, why: str) -> None:
        if time.monotonic() + seconds > given_up:
            raise ClientError(why)
        time.sleep(seconds)


# ----------------------------------------------------------------------------- faults


def gunicorn_workers(master_pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def kill_workers(master_pid: int, log: FaultLog) -> None:
    for _ in range(2):
        workers = gunicorn_workers(master_pid)
        if workers:
            os.kill(workers[0], 9)
            log.events.append(f"SIGKILL gunicorn worker {workers[0]}")
        time.sleep(2)


def redis_setting(port: str, name: str) -> str:
    found = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", port, "config", "get", name],
        capture_output=True,
        text=True,
    )
    lines = found.stdout.split("\n")
    return lines[1].strip() if len(lines) > 1 else ""


def restart_redis(redis_url: str, log: FaultLog) -> None:
    port = str(urlsplit(redis_url).port or 6379)
    directory = redis_setting(port, "dir") or "/tmp"
    subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", port, "shutdown", "nosave"], capture_output=True
    )
    log.events.append(f"Redis on port {port} shut down")
    time.sleep(2)
    subprocess.run(
        [
            "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", port,
            "--save", "", "--appendonly", "no", "--dir", directory,
        ],
        check=True,
    )  # fmt: skip
    log.events.append("Redis started again")


def postgres_cluster_on(port: int) -> tuple[str, str]:
    """(version, name) of the local cluster listening on `port`, from pg_lsclusters."""
    listed = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True)
    for line in listed.stdout.splitlines():
        version, name, cluster_port, *_ = line.split()
        if int(cluster_port) == port:
            return version, name
    raise SystemExit(f"no local PostgreSQL cluster listens on port {port}")


def restart_postgres(database_url: str, log: FaultLog) -> None:
    version, name = postgres_cluster_on(urlsplit(database_url).port or 5432)
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart", "-m", "fast"],
        check=True,
        capture_output=True,
    )
    log.events.append(
        f"PostgreSQL {version}/{name} restarted in {time.monotonic() - started:.1f} s"
    )


def inject(fault: str, *, master_pid: int, config: Config, redis_url: str, log: FaultLog) -> None:
    if fault == "worker-kill":
        kill_workers(master_pid, log)
    elif fault == "redis-restart":
        restart_redis(redis_url, log)
    else:
        restart_postgres(config.database_url, log)


# ----------------------------------------------------------------------------- one run


@dataclass(frozen=True)
class FaultResult:
    fault: str
    expected: int
    stored: int
    lost: int
    duplicated: int
    acknowledged: int
    outage_replies: int
    other_server_errors: int
    connection_retries: int
    slowest_answer_s: float
    failures: list[str]
    events: list[str]
    server_notes: dict[str, int]

    @property
    def passed(self) -> bool:
        return (
            bool(self.events)  # the fault happened
            and self.lost == 0
            and self.duplicated == 0
            and self.stored >= self.acknowledged
            and self.other_server_errors == 0
            and not self.failures
        )


def run_fault(fault: str, config: Config, *, at_s: float, redis_url: str) -> FaultResult:
    work = Path(tempfile.mkdtemp(prefix="synlab-faults-"))
    port = free_local_port()
    env = {**bench_environment(config=config, var_dir=work, port=port), "CACHE_URL": redis_url}
    recreate_database(config.database_url)
    prepare_django(env)
    from django.db import connection

    slug, trials = build_study(trials=config.trials, participants=config.participants)
    base_url = f"http://127.0.0.1:{port}"
    server = start_gunicorn(env=env, log_path=work / "gunicorn.log")
    log, timings = FaultLog(), Timings()
    try:
        wait_until_serving(server=server, base_url=base_url, timeout_s=60)
        deadline = time.monotonic() + config.max_seconds
        people = [
            PatientParticipant(
                log=log, number=n, slug=slug, base_url=base_url, config=config,
                timings=timings, deadline=deadline,
            )
            for n in range(config.participants)
        ]  # fmt: skip
        failures = each_in_pool(people, lambda p: p.enrol(), config.concurrency)
        fault_thread = threading.Timer(
            at_s,
            inject,
            [fault],
            {"master_pid": server.pid, "config": config, "redis_url": redis_url, "log": log},
        )
        fault_thread.start()
        failures += each_in_pool(people, lambda p: p.answer_all(trials=trials), config.concurrency)
        fault_thread.join()
    finally:
        stop_gunicorn(server)
    connection.close()  # a restarted server ended it: check on a new one
    check = check_answers(slug=slug, participants=config.participants, trials=trials)
    answers = timings.samples.get("answer POST", [])
    return FaultResult(
        fault=fault,
        expected=check.expected,
        stored=check.stored,
        lost=check.lost,
        duplicated=check.duplicated,
        acknowledged=sum(person.answers for person in people),
        outage_replies=log.outage_replies,
        other_server_errors=log.other_server_errors,
        connection_retries=log.connection_retries,
        slowest_answer_s=max(answers, default=0.0),
        failures=failures[:5],
        events=log.events,
        server_notes=server_log_notes(work / "gunicorn.log"),
    )


SERVER_NOTES = {
    "requests answered 503 (a server unreachable)": "a server is unreachable",
    "answers let through uncounted (cache unreachable)": "not counted: the cache is unreachable",
    "workers that died (gunicorn saw a signal)": "was sent SIGKILL",
}


def server_log_notes(log_path: Path) -> dict[str, int]:
    """What the server's log says happened: how often each fault-handling path was taken."""
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return {note: text.count(mark) for note, mark in SERVER_NOTES.items()}


def each_in_pool(people: list[PatientParticipant], work, concurrency: int) -> list[str]:
    failures: list[str] = []

    def guarded(person):
        try:
            work(person)
        except (ClientError, requests.RequestException) as error:
            failures.append(str(error))

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(guarded, people))
    return failures


def print_result(result: FaultResult, config: Config) -> None:
    verdict = "PASS" if result.passed else "FAIL"
    print(
        f"\n{result.fault}: {verdict}  ({config.participants} participants x {config.trials} "
        f"answers, concurrency {config.concurrency}, gunicorn {config.workers}x{config.threads})"
    )
    for event in result.events or ["none: the fault did not happen, so nothing was shown"]:
        print(f"  fault: {event}")
    print(
        f"  stored {result.stored}/{result.expected}, lost {result.lost}, duplicated "
        f"{result.duplicated}, acknowledged {result.acknowledged}\n"
        f"  503 replies waited out {result.outage_replies}, other 5xx "
        f"{result.other_server_errors}, connection retries {result.connection_retries}, "
        f"slowest answer {result.slowest_answer_s:.2f} s"
    )
    for note, count in result.server_notes.items():
        print(f"  server log: {note}: {count}")
    for failure in result.failures:
        print(f"  participant failure: {failure}")


def parse_args(argv: list[str] | None) -> tuple[Config, list[str], float, str]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fault", choices=(*FAULTS, "all"), default="all")
    parser.add_argument("--participants", type=int, default=100)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--at-s", type=float, default=2.0)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/synlab_bench_faults"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5", help="the shared cache")
    args = parser.parse_args(argv)
    config = replace(
        Config(),
        participants=args.participants,
        trials=args.trials,
        concurrency=args.concurrency,
        workers=args.workers,
        database_url=checked_database_url(args.database_url),
        request_timeout_s=30.0,
    )
    faults = list(FAULTS) if args.fault == "all" else [args.fault]
    return config, faults, args.at_s, args.redis_url


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    config, faults, at_s, redis_url = parse_args(argv)
    if len(faults) > 1:  # each fault in a fresh process: Django is set up once per process
        codes = [
            subprocess.run([sys.executable, __file__, *argv, "--fault", fault]).returncode
            for fault in faults
        ]
        return max(codes)
    result = run_fault(faults[0], config, at_s=at_s, redis_url=redis_url)
    print_result(result, config)
    print(json.dumps({result.fault: "pass" if result.passed else "fail"}))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
