"""Benchmark: a launch-day enrolment burst (arrivals spread over a minute) against gunicorn.

    .venv/bin/python bench/enrolment_burst.py [--arrivals 500] [--over-s 60] [--workers 4]
        [--database-url postgres://postgres@127.0.0.1:5432/synlab_bench_enrol]

The benchmark database is re-created (bench/participant_path.py's rules: a local database named
synlab_bench*), a 20-trial study is built and published with a quota that leaves room for every
arrival, and gunicorn starts (config/gunicorn.conf.py, bench.settings, DEBUG=0). Participants then
arrive evenly over `--over-s` seconds (open loop: each arrival starts on time whatever the server
is doing, one thread per participant in flight) and each walks from the study link to the first
trial page as a browser without the page script would: every GET and POST is timed by step
(the consent page, the enrolment POST, the questionnaire, the instructions, the examples, the
first trial). `--flow long` sends the consent alone, as an older page did, and walks the
questionnaire and instructions pages one request each: the before/after of the welcome page.

Printed: per step p50 / p95 / p99 in ms, requests per enrolment, enrolment time (link to first
trial) p50 / p95, errors, and the goal (p95 per request < 300 ms). Afterwards the database is
checked: every participant enrolled once with a full trial list, no quota overshot.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script

from bench.participant_path import (  # noqa: E402
    PAGES_BEFORE_TEST,
    STAGE_DATA,
    ClientError,
    Config,
    HttpClient,
    Timings,
    bench_environment,
    build_study,
    checked_database_url,
    form_csrf,
    free_local_port,
    page_stage,
    percentile_ms,
    prepare_django,
    recreate_database,
    start_gunicorn,
    stop_gunicorn,
    wait_until_serving,
)

GOAL_P95_MS = 300.0


class Arrival(HttpClient):
    """One participant from the study link to the first trial, each request timed by step."""

    def __init__(self, *, slug: str, flow: str, **kwargs):
        super().__init__(**kwargs)
        self.slug = slug
        self.flow = flow
        self.requests = 0

    def timed(self, method: str, path: str, step: str, **kwargs):
        self.requests += 1
        return self.request(method, path, kind=step, **kwargs)  # redirects are not followed

    def enrol(self) -> float:
        started = time.perf_counter()
        consent = self.expect(self.timed("GET", f"/s/{self.slug}/", "consent page"), 200)
        form = {"consent": "on", "csrfmiddlewaretoken": form_csrf(consent.text)}
        if self.flow == "welcome":
            form.update(welcome_fields(consent.text))
        enrolled = self.expect(self.timed("POST", f"/s/{self.slug}/", "enrol POST", data=form), 302)
        path = urlsplit(enrolled.headers["Location"]).path
        for _ in range(PAGES_BEFORE_TEST):
            page = self.expect(self.timed("GET", path, "page GET"), 200).text
            stage = page_stage(page)
            if stage == "test":
                return time.perf_counter() - started
            if stage not in STAGE_DATA:
                raise ClientError(f"unexpected page, stage {stage!r}")
            data = {"stage": stage, **STAGE_DATA[stage], "csrfmiddlewaretoken": form_csrf(page)}
            self.expect(self.timed("POST", path, f"{stage} POST", data=data), 302)
        raise ClientError("never reached the first trial")

    @staticmethod
    def expect(response, status: int):
        if response.status_code != status:
            raise ClientError(
                f"{response.request.method} {response.url} gave {response.status_code}, "
                f"expected {status}: {response.text[:200]!r}"
            )
        return response


def welcome_fields(html: str) -> dict:
    """The questionnaire and instructions when the welcome page asks for them with the consent."""
    if 'name="welcome"' not in html:
        return {}
    return {"welcome": "1", **STAGE_DATA["demographics"], "instructions_read": "1"}


@dataclass
class BurstResult:
    arrivals: int
    over_s: float
    timings: Timings
    enrolment_s: list[float]
    requests: list[int]
    failures: list[str]


def run_burst(config: Config, *, arrivals: int, over_s: float, flow: str) -> BurstResult:
    work = Path(tempfile.mkdtemp(prefix="synlab-enrol-"))
    port = free_local_port()
    env = bench_environment(config=config, var_dir=work, port=port)
    recreate_database(config.database_url)
    prepare_django(env)
    slug, _ = build_study(trials=config.trials, participants=arrivals)
    base_url = f"http://127.0.0.1:{port}"
    server = start_gunicorn(env=env, log_path=work / "gunicorn.log")
    timings, enrolment_s, requests_made, failures = Timings(), [], [], []
    try:
        wait_until_serving(server=server, base_url=base_url, timeout_s=60)
        deadline = time.monotonic() + over_s + config.max_seconds
        started = time.monotonic()
        threads = []
        for number in range(arrivals):
            time.sleep(max(0.0, started + number * over_s / arrivals - time.monotonic()))
            person = Arrival(
                slug=slug,
                flow=flow,
                base_url=base_url,
                config=config,
                timings=timings,
                deadline=deadline,
            )
            thread = threading.Thread(
                target=walk, args=(person, enrolment_s, requests_made, failures)
            )
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
    finally:
        stop_gunicorn(server)
    return BurstResult(arrivals, over_s, timings, enrolment_s, requests_made, failures)


def walk(person: Arrival, enrolment_s: list, requests_made: list, failures: list) -> None:
    try:
        enrolment_s.append(person.enrol())
        requests_made.append(person.requests)
    except Exception as error:  # noqa: BLE001 - every failure is counted and shown
        failures.append(str(error))
    finally:
        person.close()


def quota_check(slug: str, arrivals: int) -> dict:
    from django.db.models import Count

    from studies.models import Participant

    participants = Participant.objects.filter(study__slug=slug, is_preview=False)
    lists = participants.annotate(n=Count("assignments")).values_list("n", "trial_count")
    return {
        "participants": participants.count(),
        "full_lists": sum(1 for n, expected in lists if n == expected and n > 0),
        "arrivals": arrivals,
    }


def print_result(result: BurstResult, config: Config, flow: str) -> bool:
    print(
        f"\nEnrolment burst ({flow} flow): {result.arrivals} arrivals over {result.over_s:.0f} s "
        f"(open loop), gunicorn {config.workers} workers x {config.threads} threads, PostgreSQL"
    )
    print(f"{'step':<22}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    every = []
    for step, samples in sorted(result.timings.samples.items()):
        every += samples
        print(
            f"{step:<22}{len(samples):>9}{percentile_ms(samples, 50):>9.0f}"
            f"{percentile_ms(samples, 95):>9.0f}{percentile_ms(samples, 99):>9.0f}"
        )
    p95 = percentile_ms(every, 95)
    print(f"{'every request':<22}{len(every):>9}{percentile_ms(every, 50):>9.0f}{p95:>9.0f}")
    if result.requests:
        print(f"requests per enrolment: {sum(result.requests) / len(result.requests):.1f}")
    if result.enrolment_s:
        print(
            f"link to first trial: p50 {percentile_ms(result.enrolment_s, 50):.0f} ms, "
            f"p95 {percentile_ms(result.enrolment_s, 95):.0f} ms"
        )
    print(f"failures: {len(result.failures)}")
    for failure in result.failures[:5]:
        print(f"  {failure}")
    met = p95 < GOAL_P95_MS and not result.failures
    print(f"goal p95 per request < {GOAL_P95_MS:.0f} ms: {'met' if met else 'NOT met'}")
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arrivals", type=int, default=500)
    parser.add_argument("--over-s", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/synlab_bench_enrol"
    )
    parser.add_argument(
        "--flow",
        choices=("welcome", "long"),
        default="welcome",
        help="welcome: consent, questionnaire and instructions in one POST (the page as served); "
        "long: consent alone, then the questionnaire and instructions pages (one request each)",
    )
    args = parser.parse_args(argv)
    config = replace(
        Config(),
        workers=args.workers,
        threads=args.threads,
        database_url=checked_database_url(args.database_url),
        max_seconds=600.0,
    )
    result = run_burst(config, arrivals=args.arrivals, over_s=args.over_s, flow=args.flow)
    met = print_result(result, config, args.flow)
    slug_check = quota_check_for_last_study(args.arrivals)
    print(json.dumps(slug_check))
    ok = met and slug_check["participants"] == slug_check["full_lists"] == len(result.enrolment_s)
    return 0 if ok else 1


def quota_check_for_last_study(arrivals: int) -> dict:
    from studies.models import Study

    study = Study.objects.order_by("-pk").first()
    return quota_check(study.slug, arrivals)


if __name__ == "__main__":
    sys.exit(main())
