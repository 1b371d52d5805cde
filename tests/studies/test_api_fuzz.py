"""schemathesis against /api/schema/: every researcher endpoint gets generated requests, both
ones the schema allows and ones it does not (each bound and one past it, huge and negative
integers, wrong types, missing fields, odd bodies and content types, unexpected methods), from
a staff user with a token, on a live server. Not one may be answered with a 5xx.

schemathesis runs as its command line does (coverage and fuzzing phases, a fixed seed, so a
run is repeatable) and records every request in a HAR file, which the test counts. The study
it finds at id 1 is live and answered, so the reads with real data are exercised too.
"""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.studies.bots import Bot
from tests.studies.conftest import create_built_study

pytestmark = [pytest.mark.django_db(transaction=True, reset_sequences=True), pytest.mark.slow]

AT_LEAST_REQUESTS = 1000
EXAMPLES_PER_OPERATION = 35
SEED = 20260511


def schemathesis_run(base_url: str, token: str, har: Path) -> subprocess.CompletedProcess:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{base_url}/api/schema/?format=json",
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        "not_a_server_error",
        "--mode",
        "all",
        "--phases",
        "coverage,fuzzing",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-shrink",
        "--request-timeout",
        "60",
        "--report",
        "har",
        "--report-har-path",
        str(har),
        "--warnings",
        "off",
    ]
    # In the test's own folder: schemathesis keeps a cache of past failures in the working one.
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=har.parent)


def test_thousands_of_generated_api_requests_get_no_server_error(live_server, researcher, tmp_path):
    study = create_built_study()
    assert study.pk == 1, "the id schemathesis tries first"
    Bot(client=Client(), study_slug=study.slug).take_whole_study()
    token = Token.objects.create(user=researcher).key
    har = tmp_path / "requests.har"

    run = schemathesis_run(live_server.url, token, har)

    entries = json.loads(har.read_text())["log"]["entries"]
    statuses = Counter(entry["response"]["status"] for entry in entries)
    server_errors = [
        f"{entry['response']['status']} {entry['request']['method']} {entry['request']['url']}"
        for entry in entries
        if entry["response"]["status"] >= 500
    ]
    print(f"\n{len(entries)} generated requests, answered {dict(sorted(statuses.items()))}")
    assert server_errors == [], server_errors[:20]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert len(entries) >= AT_LEAST_REQUESTS
    assert statuses[200] >= 100, "the requests reach the study, not only refusals"
