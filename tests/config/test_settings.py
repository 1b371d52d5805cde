"""Operators configure Synlab from the environment; production passes the deploy check."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    inherited = ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def print_setting(expression: str, **env: str) -> str:
    code = f"from django.conf import settings; print({expression})"
    result = run_manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_a_newcomer_gets_sqlite_and_the_embedded_broker():
    assert print_setting("settings.DATABASES['default']['ENGINE']") == "django.db.backends.sqlite3"
    assert print_setting("settings.CELERY_BROKER_URL") == "filesystem://"


def test_environment_urls_select_postgresql_and_redis():
    env = {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/3",
    }
    assert (
        print_setting("settings.DATABASES['default']['ENGINE']", **env)
        == "django.db.backends.postgresql"
    )
    assert print_setting("settings.CELERY_BROKER_URL", **env) == "redis://127.0.0.1:6379/3"


def test_production_settings_pass_the_deploy_check():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="synlab.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_demo_can_be_tried_as_production_over_plain_http():
    env = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_hex(32),
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
    }
    assert print_setting("settings.DEBUG, settings.SECURE_SSL_REDIRECT", **env) == "False False"
    assert print_setting("settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE", **env) == (
        "False False"
    )
    production = {"DEBUG": "0", "SECRET_KEY": secrets.token_hex(32)}
    assert print_setting("settings.SESSION_COOKIE_SECURE", **production) == "True"
