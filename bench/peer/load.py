"""One client for every server in the peer benchmark: the same browser, the same two loads.

A `Site` knows its server's pages: `enrol(browser)` takes a new participant from the study link
to the first trial, `answer(browser, index, choice)` sends one answer and returns once the next
trial (or the end) has arrived. Everything else (threads, timing, arrivals, listening time,
counting errors) is here, shared.

- closed loop: every participant starts at once and answers as fast as the server replies;
  answers/s = answers / wall time of the answering.
- open loop: participants arrive evenly over `arrival_s`, and listen 2-5 s (uniform, seeded)
  before each answer, as people do; what counts is the latency of each answer.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

import requests


class Refused(Exception):
    """The server gave a page or status the participant should not get."""


@dataclass
class Record:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    answers: int = 0
    resent: int = 0  # requests sent again after a dropped connection
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


class Browser:
    """One participant's browser: a keep-alive session with cookies; every request timed."""

    def __init__(self, *, base_url: str, record: Record, number: int, timeout_s: float = 60):
        self.base_url = base_url
        self.record = record
        self.number = number
        self.timeout_s = timeout_s
        self.session = requests.Session()
        self.state: dict = {}

    def send(self, method: str, path: str, *, kind: str, **kwargs) -> requests.Response:
        url = path if path.startswith("http") else self.base_url + path
        started = time.perf_counter()
        try:
            response = self.session.request(method, url, timeout=self.timeout_s, **kwargs)
        except requests.ConnectionError:
            # As browsers do: a request that failed on a kept-alive connection the server had
            # closed (idle past its keepalive, a recycled worker) is sent once more on a new one.
            # Safe for answers too: both servers store an answer once.
            self.session.close()
            with self.record.lock:
                self.record.resent += 1
            response = self.session.request(method, url, timeout=self.timeout_s, **kwargs)
        self.record.note(kind, time.perf_counter() - started, response.status_code)
        if response.status_code >= 400:
            raise Refused(f"{method} {path} gave {response.status_code}: {response.text[:160]!r}")
        return response


class Site(Protocol):
    name: str
    base_url: str

    def enrol(self, browser: Browser) -> None: ...

    def answer(self, browser: Browser, index: int, choice: int) -> None: ...


@dataclass(frozen=True)
class Load:
    participants: int
    trials: int
    open_loop: bool = False
    arrival_s: float = 60.0
    listen_s: tuple[float, float] = (2.0, 5.0)
    seed: int = 16


@dataclass(frozen=True)
class Outcome:
    load: Load
    record: Record
    enrol_wall_s: float
    answer_wall_s: float
    total_wall_s: float

    @property
    def answers_per_s(self) -> float:
        return self.record.answers / self.answer_wall_s if self.answer_wall_s else 0.0


def drive(site: Site, load: Load) -> Outcome:
    """Run `load` against `site`; closed loop enrols everyone first, then times the answers."""
    record = Record()
    browsers = [
        Browser(base_url=site.base_url, record=record, number=n) for n in range(load.participants)
    ]
    started = time.perf_counter()
    if load.open_loop:
        run_all(browsers, lambda b: participant_open_loop(site, b, load, started))
        wall = time.perf_counter() - started
        return Outcome(load, record, enrol_wall_s=wall, answer_wall_s=wall, total_wall_s=wall)
    run_all(browsers, lambda b: guarded(record, b, lambda: site.enrol(b)))
    enrolled = time.perf_counter()
    ready = [b for b in browsers if b.state.get("enrolled")]
    run_all(ready, lambda b: guarded(record, b, lambda: answer_all(site, b, load, None)))
    finished = time.perf_counter()
    return Outcome(
        load,
        record,
        enrol_wall_s=enrolled - started,
        answer_wall_s=finished - enrolled,
        total_wall_s=finished - started,
    )


def participant_open_loop(site: Site, browser: Browser, load: Load, started: float) -> None:
    rng = random.Random(load.seed * 100_003 + browser.number)
    arrival = started + load.arrival_s * browser.number / max(load.participants, 1)
    time.sleep(max(0.0, arrival - time.perf_counter()))
    guarded(browser.record, browser, lambda: site.enrol(browser))
    if browser.state.get("enrolled"):
        guarded(browser.record, browser, lambda: answer_all(site, browser, load, rng))


def answer_all(site: Site, browser: Browser, load: Load, rng: random.Random | None) -> None:
    choices = random.Random(load.seed + browser.number)
    for index in range(load.trials):
        if rng is not None:
            time.sleep(rng.uniform(*load.listen_s))
        site.answer(browser, index, choices.randrange(3))
        with browser.record.lock:
            browser.record.answers += 1


def guarded(record: Record, browser: Browser, work) -> None:
    try:
        work()
    except (Refused, requests.RequestException) as error:
        with record.lock:
            record.failures.append(f"participant {browser.number}: {error}")
    finally:
        browser.session.close()


def run_all(browsers: list[Browser], work) -> None:
    """One thread per participant, all started together (a real crowd, not a pool)."""
    threads = [threading.Thread(target=work, args=(b,), daemon=True) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def percentile_ms(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return 1000 * ordered[rank]
