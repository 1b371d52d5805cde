"""Scale-out: two web processes and three workers (one on `gpu`, two on `cpu`) against one
database and one broker share the work without doing any of it twice.

On the PostgreSQL + Redis run this is the production layout in miniature: the web processes
share nothing but the database, the cache and the media folder (and SECRET_KEY, which signs
the media links), and each job is claimed by exactly one worker.
"""

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from studies import generation, services
from studies.models import GenerationJob, Phase, Response, Stimulus, Study, Trial
from tests.factories import upload_zip
from tests.studies.conftest import as_upload
from tests.workers.conftest import ROOT, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow]

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STAGE_FIELD = re.compile(r'name="stage" value="([a-z_]+)"')
TRIAL_FIELD = re.compile(r'name="trial" value="([0-9a-f-]+)"')
QUESTIONNAIRE = {"gender": "female", "age_band": "25-34", "musical_level": "amateur"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebProcess:
    """One gunicorn master with one worker, on its own port."""

    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("gunicorn")),
                    "--config",
                    str(ROOT / "config" / "gunicorn.conf.py"),
                    "config.wsgi:application",
                ],
                cwd=ROOT,
                env={
                    **env,
                    "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                    "GUNICORN_WORKERS": "1",
                    "GUNICORN_ACCESS_LOG": "/dev/null",
                },
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_until_serving(self) -> None:
        def serving():
            try:
                return requests.get(self.base_url + "/", timeout=2).status_code < 500
            except requests.RequestException:
                return False

        wait_for(serving, timeout=60, every=0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def two_web_processes(worker_env, tmp_path):
    env = {**worker_env, "DEBUG": "1", "SECRET_KEY": "one-key-for-every-web-process-" + "x" * 20}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if os.environ.get("CACHE_URL") is None and worker_env["CELERY_BROKER_URL"].startswith("redis"):
        env["CACHE_URL"] = worker_env["CELERY_BROKER_URL"]  # the shared cache, on the one Redis
    webs = [WebProcess(env, tmp_path / f"web-{n}.log") for n in range(2)]
    try:
        for web in webs:
            web.wait_until_serving()
        yield webs
    finally:
        for web in webs:
            web.stop()


def participant_through_both(webs: list[WebProcess], slug: str) -> int:
    """A participant whose every request goes to the other web process than the last one."""
    session = requests.Session()
    turn = iter(range(10_000))

    def url(path: str) -> str:
        return webs[next(turn) % 2].base_url + path

    consent = session.get(url(f"/s/{slug}/"))
    enrolled = session.post(
        url(f"/s/{slug}/"),
        {"consent": "on", "csrfmiddlewaretoken": CSRF_FIELD.search(consent.text).group(1)},
        allow_redirects=False,
    )
    assert enrolled.status_code == 302, enrolled.text[:300]
    page_path = urlsplit(enrolled.headers["Location"]).path
    page = session.get(url(page_path)).text
    while STAGE_FIELD.search(page).group(1) != "test":
        stage = STAGE_FIELD.search(page).group(1)
        data = {"stage": stage, "csrfmiddlewaretoken": CSRF_FIELD.search(page).group(1)}
        data.update(QUESTIONNAIRE if stage == "demographics" else {})
        assert session.post(url(page_path), data, allow_redirects=False).status_code == 302
        page = session.get(url(page_path)).text
    trial, csrf, answers = TRIAL_FIELD.search(page).group(1), CSRF_FIELD.search(page).group(1), 0
    while trial:
        fields = {"trial": trial, "choice": 0, "rt_ms": 900, "plays": 1, "heard_to_end": "true"}
        reply = session.post(
            url(f"{page_path}answer"),
            json.dumps(fields),
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf},
        )
        assert reply.status_code == 200, reply.text[:300]
        answers += 1
        upcoming = reply.json()["next"]
        trial = upcoming["trial"] if upcoming else None
    return answers


def built(study: Study) -> bool:
    study.refresh_from_db()
    return study.status != Study.Status.GENERATING


def test_two_web_processes_and_three_workers_share_the_work_and_do_none_of_it_twice(
    worker_env, start_worker, two_web_processes
):
    # The other worker tests shorten the lease to 2 s to see lost jobs redone quickly; here no
    # worker dies, and a starved heartbeat on a busy test machine must not pass for a death.
    worker_env["SYNLAB_JOB_LEASE_S"] = "120"
    start_worker("gpu")
    start_worker("cpu")
    start_worker("cpu")
    uploaded = [
        services.study_create(
            name=f"uploaded {n}",
            kind="uploaded_set",
            design_params={"n_options": 3},
            upload=as_upload(upload_zip()),
        )
        for n in range(3)
    ]
    modelled = services.study_create(
        name="SynVAE",
        kind="synvae_matching",
        design_params={"n_test_trials": 3, "n_preview_per_class": 1, "candidates_per_class": 2},
    )
    studies = [*uploaded, modelled]
    jobs = [generation.study_generate(study=study) for study in studies]
    for study in studies:
        wait_for(lambda study=study: built(study), timeout=240, every=0.2)

    for study, job in zip(studies, jobs, strict=True):
        job.refresh_from_db()
        assert study.status == Study.Status.READY, study.build_problems
        assert job.status == GenerationJob.Status.SUCCEEDED
        expected_attempts = 2 if study.kind == "synvae_matching" else 1  # gpu stage, then cpu
        assert job.attempts == expected_attempts, f"{study.name}: done {job.attempts} times"
        keys = list(Stimulus.objects.filter(study=study).values_list("key", flat=True))
        assert len(keys) == len(set(keys)), f"{study.name}: a stimulus was stored twice"
    builders = {job.claimed_by for job in GenerationJob.objects.filter(pk__in=[j.pk for j in jobs])}
    assert len(builders) >= 2, f"one worker did all the building: {builders}"

    study = services.study_publish(study=uploaded[0])
    trials = Trial.objects.filter(phase__study=study, phase__kind=Phase.Kind.TEST).count()
    answered = [participant_through_both(two_web_processes, study.slug) for _ in range(3)]
    assert answered == [trials] * 3
    stored = Response.objects.filter(participant__study=study)
    assert stored.count() == 3 * trials
    assert stored.values("participant", "trial").distinct().count() == 3 * trials
