"""The two servers of the peer benchmark, as the shared client (load.py) sees them."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests

from bench.enrolment_burst import welcome_fields
from bench.participant_path import (
    PAGES_BEFORE_TEST,
    STAGE_DATA,
    form_csrf,
    page_stage,
    page_trial,
)
from bench.peer.load import Browser, Refused


def answer_readings(choice: int, browser: Browser) -> dict:
    return {
        "choice": str(choice),
        "rt_ms": str(700 + 37 * browser.number % 2000),
        "plays": "1",
        "heard_to_end": "true",
        "client_sent_at": datetime.now(UTC).isoformat(),
    }


class SynlabSite:
    """Synlab as a browser meets it: the welcome page (consent, questionnaire, instructions in
    one form) and the pages before the trials, then each answer as the page's script sends it
    (JSON; the reply carries the next trial)."""

    name = "Synlab"

    def __init__(self, *, base_url: str, slug: str):
        self.base_url = base_url
        self.slug = slug

    def enrol(self, browser: Browser) -> None:
        consent = browser.send("GET", f"/s/{self.slug}/", kind="enrol")
        form = {"consent": "on", "csrfmiddlewaretoken": form_csrf(consent.text)}
        form.update(welcome_fields(consent.text))  # the questionnaire and instructions too
        enrolled = browser.send(
            "POST", f"/s/{self.slug}/", kind="enrol", data=form, allow_redirects=False
        )
        path = urlsplit(enrolled.headers["Location"]).path
        for _ in range(PAGES_BEFORE_TEST):
            page = browser.send("GET", path, kind="enrol").text
            stage = page_stage(page)
            if stage == "test":
                browser.state.update(
                    enrolled=True, path=path, trial=page_trial(page), csrf=form_csrf(page)
                )
                return
            if stage not in STAGE_DATA:
                raise Refused(f"unexpected page before the trials (stage {stage!r})")
            data = {"stage": stage, **STAGE_DATA[stage], "csrfmiddlewaretoken": form_csrf(page)}
            browser.send("POST", path, kind="enrol", data=data, allow_redirects=False)
        raise Refused("never reached the trials")

    def answer(self, browser: Browser, index: int, choice: int) -> None:
        state = browser.state
        body = {"trial": state["trial"], **answer_readings(choice, browser)}
        reply = browser.send(
            "POST",
            f"{state['path']}answer",
            kind="answer",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "X-CSRFToken": state["csrf"]},
        ).json()
        if reply["next"] is None:
            state["trial"] = None
            return
        if reply["next"]["trial"] == state["trial"]:
            raise Refused(f"answer {index + 1} was not taken")
        state["trial"] = reply["next"]["trial"]


class OtreeSite:
    """oTree as a browser meets it: the session-wide link, then per round the form POST and
    the page it redirects to (the participant waits for both)."""

    name = "oTree"

    def __init__(self, *, base_url: str, join_url: str):
        self.base_url = base_url
        self.join_url = join_url

    def enrol(self, browser: Browser) -> None:
        page = browser.send("GET", self.join_url, kind="enrol")
        if 'name="choice"' not in page.text:
            raise Refused(f"the join link did not lead to a trial: {page.url}")
        browser.state.update(enrolled=True, url=page.url)

    def answer(self, browser: Browser, index: int, choice: int) -> None:
        readings = answer_readings(choice, browser)
        data = {"choice": readings["choice"], "rt_ms": readings["rt_ms"]}
        page = browser.send("POST", browser.state["url"], kind="answer", data=data)
        if page.url == browser.state["url"]:
            raise Refused(f"answer {index + 1} was not taken (the same page came back)")
        browser.state["url"] = page.url


class OtreeServer:
    """`otree prodserver` (one process, as its docs recommend) on 127.0.0.1."""

    def __init__(
        self, *, otree: Path, project: Path, port: int, database_url: str | None, trials: int
    ):
        """database_url None: oTree's default, SQLite (db.sqlite3 in the project folder)."""
        self.otree, self.project, self.port = otree, project, port
        self.base_url = f"http://127.0.0.1:{port}"
        self.rest_key = secrets.token_urlsafe(16)
        inherited = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env = {
            **inherited,
            "PATH": f"{otree.parent}:{os.environ.get('PATH', '')}",
            **({"DATABASE_URL": database_url} if database_url else {}),
            "OTREE_PRODUCTION": "1",
            "OTREE_ADMIN_PASSWORD": secrets.token_urlsafe(16),
            "OTREE_REST_KEY": self.rest_key,
            "AFC_TRIALS": str(trials),
        }
        self.process: subprocess.Popen | None = None

    def start(self, log_path: Path) -> None:
        (self.project / "_static").mkdir(exist_ok=True)
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(self.otree), "prodserver", f"127.0.0.1:{self.port}"],
                cwd=self.project,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"otree prodserver exited; see {log_path}")
            try:
                requests.get(f"{self.base_url}/api/otree_version", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.5)
        raise SystemExit("otree prodserver did not answer within 90 s")

    def create_session(self, participants: int) -> str:
        """A session for `participants`; its session-wide link."""
        reply = requests.post(
            f"{self.base_url}/api/sessions",
            json={"session_config_name": "afc3", "num_participants": participants},
            headers={"otree-rest-key": self.rest_key},
            timeout=120,
        )
        reply.raise_for_status()
        return reply.json()["session_wide_url"]

    def stop(self) -> None:
        """SIGTERM to the process group we started (prodserver runs two processes)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
