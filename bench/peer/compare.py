"""Peer benchmark: Synlab and oTree 6.0.15 on the same 3-AFC task, the same client, one run.

    .venv/bin/python -m bench.peer.compare [--participants 200] [--open-participants 500]
        [--trials 20] [--arrival-s 60] [--only synlab|otree] [--skip-closed|--skip-open]
        [--database postgresql|sqlite]

Each server runs as its docs recommend, one after the other on PostgreSQL (127.0.0.1, user
postgres, no password) or, with --database sqlite, each on its own new SQLite file: Synlab
under gunicorn (config/gunicorn.conf.py, 2 x cores + 1 workers x 2 threads, DEBUG=0), oTree
with `otree prodserver` (installed into its own virtual environment, by default
/tmp/synlab-peer-otree-venv, from the package index on first use). PostgreSQL databases
synlab_bench_peer and synlab_bench_otree are dropped and re-created.

Loads (bench/peer/load.py): closed loop, every participant at once, enrolled first, then
answering as fast as replies come; open loop, participants arriving evenly over --arrival-s,
listening 2-5 s before each answer. Printed per server and load: answers/s (closed), answer
latency p50/p95/p99, enrolment p50/p95, answers stored of expected (lost, duplicated), 5xx,
failures; then Synlab/oTree ratios. Load average before and after.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script too

from bench import participant_path as synlab_bench  # noqa: E402
from bench.peer.load import Load, Outcome, drive, percentile_ms  # noqa: E402
from bench.peer.otree_project import otree_environment, write_project  # noqa: E402
from bench.peer.sites import OtreeServer, OtreeSite, SynlabSite  # noqa: E402

SYNLAB_DB = "postgres://postgres@127.0.0.1:5432/synlab_bench_peer"
OTREE_DB = "postgres://postgres@127.0.0.1:5432/synlab_bench_otree"


def database_urls(args, work: Path) -> tuple[str, str | None]:
    """(Synlab's, oTree's); oTree's None means its own default, db.sqlite3 in its project."""
    if args.database == "sqlite":
        return f"sqlite:///{work / 'synlab.sqlite3'}", None
    return SYNLAB_DB, OTREE_DB


def fresh_database(url: str) -> None:
    if url.startswith("sqlite:"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        synlab_bench.recreate_database(url)


@dataclass(frozen=True)
class Integrity:
    """expected: participants x trials; acknowledged: answers the server replied to with
    success. Lost means acknowledged but not stored; answers a failed client never got a
    reply for (a reset connection) are `expected - acknowledged`, shown as failures."""

    expected: int
    stored: int
    duplicated: int
    acknowledged: int = 0

    @property
    def lost(self) -> int:
        return max(0, self.acknowledged - (self.stored - self.duplicated))


def loads(args) -> list[Load]:
    chosen = []
    if not args.skip_closed:
        chosen.append(Load(participants=args.participants, trials=args.trials))
    if not args.skip_open:
        chosen.append(
            Load(
                participants=args.open_participants,
                trials=args.trials,
                open_loop=True,
                arrival_s=args.arrival_s,
            )
        )
    return chosen


def run_synlab(args, work: Path) -> list[tuple[Outcome, Integrity]]:
    workers = 2 * (os.cpu_count() or 1) + 1
    database_url, _ = database_urls(args, work)
    config = synlab_bench.Config(database_url=database_url, workers=workers, threads=2)
    port = synlab_bench.free_local_port()
    env = synlab_bench.bench_environment(config=config, var_dir=work / "synlab", port=port)
    fresh_database(database_url)
    synlab_bench.prepare_django(env)
    everyone = sum(load.participants for load in loads(args))
    slug, trials = synlab_bench.build_study(trials=args.trials, participants=everyone)
    from django.db import connections

    connections.close_all()
    database = "SQLite" if args.database == "sqlite" else "PostgreSQL"
    print(f"Synlab: gunicorn {workers} workers x 2 threads, DEBUG=0, {database}; study /s/{slug}/")
    server = synlab_bench.start_gunicorn(env=env, log_path=work / "gunicorn.log")
    results = []
    try:
        base_url = f"http://127.0.0.1:{port}"
        synlab_bench.wait_until_serving(server=server, base_url=base_url, timeout_s=90)
        site = SynlabSite(base_url=base_url, slug=slug)
        stored_before = 0
        for load in loads(args):
            outcome = drive(site, load)
            stored, duplicated = synlab_answers(slug)
            expected = load.participants * trials
            check = Integrity(expected, stored - stored_before, duplicated, outcome.record.answers)
            results.append((outcome, check))
            stored_before = stored
    finally:
        synlab_bench.stop_gunicorn(server)
    return results


def synlab_answers(slug: str) -> tuple[int, int]:
    from studies.models import Response

    answers = Response.objects.filter(participant__study__slug=slug)
    stored = answers.count()
    return stored, stored - answers.values("participant_id", "trial_id").distinct().count()


def run_otree(args, work: Path) -> list[tuple[Outcome, Integrity]]:
    otree = otree_environment(Path(args.otree_venv))
    project = write_project(work / "otree_project")
    _, database_url = database_urls(args, work)
    if database_url:
        fresh_database(database_url)
    server = OtreeServer(
        otree=otree,
        project=project,
        port=synlab_bench.free_local_port(),
        database_url=database_url,
        trials=args.trials,
    )
    database = "PostgreSQL" if database_url else "SQLite (its default db.sqlite3)"
    print(f"oTree {otree_version(otree)}: otree prodserver (1 process), {database}")
    results = []
    server.start(work / "otree.log")
    try:
        stored_before = 0
        for load in loads(args):
            join_url = server.create_session(load.participants)
            outcome = drive(OtreeSite(base_url=server.base_url, join_url=join_url), load)
            stored = otree_answers(database_url, project)
            expected = load.participants * load.trials
            check = Integrity(expected, stored - stored_before, 0, outcome.record.answers)
            results.append((outcome, check))
            stored_before = stored
    finally:
        server.stop()
    return results


def otree_version(otree: Path) -> str:
    import subprocess

    python = otree.with_name("python")
    probe = [str(python), "-c", "import importlib.metadata as m; print(m.version('otree'))"]
    return subprocess.run(probe, capture_output=True, text=True).stdout.strip()


def otree_answers(database_url: str | None, project: Path) -> int:
    """Rounds answered, from oTree's own table (one row per participant and round, so an
    answer cannot be stored twice there)."""
    query = "SELECT count(*) FROM afc_player WHERE choice IS NOT NULL"
    if database_url is None:
        import sqlite3

        connection = sqlite3.connect(project / "db.sqlite3")
        try:
            return connection.execute(query).fetchone()[0]
        finally:
            connection.close()
    import psycopg

    with psycopg.connect(database_url) as connection:
        return connection.execute(query).fetchone()[0]


def print_results(results: dict[str, list[tuple[Outcome, Integrity]]]) -> None:
    header = (
        f"{'server':<8}{'load':<26}{'answers/s':>10}{'answer p50':>11}{'p95':>8}{'p99':>8}"
        f"{'enrol p50':>10}{'p95':>8}  {'stored/expected':<17}{'lost':>5}{'dup':>5}{'5xx':>5}"
        f"{'failed':>7}"
    )
    print("=" * len(header))
    print(header)
    print("-" * len(header))
    for name, rows in results.items():
        for outcome, check in rows:
            load, record = outcome.load, outcome.record
            answers, enrol = record.latencies.get("answer", []), record.latencies.get("enrol", [])
            what = (
                f"open {load.participants} over {load.arrival_s:.0f}s"
                if load.open_loop
                else f"closed {load.participants} at once"
            )
            rate = "" if load.open_loop else f"{outcome.answers_per_s:.1f}"
            print(
                f"{name:<8}{what:<26}{rate:>10}{percentile_ms(answers, 50):>9.0f}ms"
                f"{percentile_ms(answers, 95):>6.0f}ms{percentile_ms(answers, 99):>6.0f}ms"
                f"{percentile_ms(enrol, 50):>8.0f}ms{percentile_ms(enrol, 95):>6.0f}ms  "
                f"{check.stored:>7}/{check.expected:<9}{check.lost:>5}{check.duplicated:>5}"
                f"{record.server_errors():>5}{len(record.failures):>7}"
            )
            if record.resent:
                print(f"    requests sent again after a dropped connection: {record.resent}")
            for failure in record.failures[:3]:
                print(f"    failure: {failure}")
    print("-" * len(header))
    if "Synlab" in results and "oTree" in results:
        for (mine, _), (peer, _) in zip(results["Synlab"], results["oTree"], strict=False):
            if not mine.load.open_loop and peer.answers_per_s:
                ratio = mine.answers_per_s / peer.answers_per_s
                goal = "MET" if ratio >= 5 else "NOT MET"
                print(
                    f"closed loop: Synlab answers/s / oTree answers/s = {ratio:.2f} "
                    f"(goal >= 5: {goal})"
                )
    for outcome, _ in results.get("Synlab", []):
        if outcome.load.open_loop:
            answers = outcome.record.latencies.get("answer", [])
            p95, p99 = percentile_ms(answers, 95), percentile_ms(answers, 99)
            met = "MET" if p95 < 150 and p99 < 500 else "NOT MET"
            print(
                f"Synlab open loop: p95 {p95:.0f} ms, p99 {p99:.0f} ms (goal < 150 / < 500: {met})"
            )
    print("=" * len(header))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=200, help="closed loop")
    parser.add_argument("--open-participants", type=int, default=500, help="open loop")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--arrival-s", type=float, default=60.0)
    parser.add_argument("--only", choices=["synlab", "otree"])
    parser.add_argument("--skip-closed", action="store_true")
    parser.add_argument("--skip-open", action="store_true")
    parser.add_argument("--otree-venv", default="/tmp/synlab-peer-otree-venv")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    print(f"machine: {os.cpu_count()} CPUs; load average before: {load_average()}")
    work = Path(tempfile.mkdtemp(prefix="synlab-peer-"))
    results = {}
    if args.only != "otree":
        results["Synlab"] = run_synlab(args, work)
    if args.only != "synlab":
        results["oTree"] = run_otree(args, work)
    print(f"load average after: {load_average()}; logs in {work}")
    print_results(results)
    clean = all(
        check.lost == 0 and check.duplicated == 0 and not o.record.server_errors()
        for rows in results.values()
        for o, check in rows
    )
    return 0 if clean else 1


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    raise SystemExit(main())
