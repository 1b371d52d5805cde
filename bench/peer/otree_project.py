"""The oTree side of the peer benchmark: its own virtual environment and a 3-AFC project.

oTree 6.0.15 is installed from the package index into a virtual environment of its own (never a
Synlab dependency); the project has one app, `afc`: per round one page with three options and a
reaction time, as many rounds as Synlab's study has trials, then a done page.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

OTREE_VERSION = "6.0.15"

SETTINGS = """\
from os import environ

SESSION_CONFIGS = [dict(name="afc3", app_sequence=["afc"], num_demo_participants=3)]
SESSION_CONFIG_DEFAULTS = dict(real_world_currency_per_point=1.00, participation_fee=0.00, doc="")
PARTICIPANT_FIELDS = []
SESSION_FIELDS = []
LANGUAGE_CODE = "en"
REAL_WORLD_CURRENCY_CODE = "USD"
USE_POINTS = True
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = environ.get("OTREE_ADMIN_PASSWORD")
DEMO_PAGE_INTRO_HTML = ""
SECRET_KEY = environ.get("OTREE_SECRET_KEY", "benchmark")
"""

APP = """\
from os import environ

from otree.api import *

doc = "Three-alternative forced choice: which of three options goes with the prompt."


class C(BaseConstants):
    NAME_IN_URL = "afc"
    PLAYERS_PER_GROUP = None
    NUM_ROUNDS = int(environ.get("AFC_TRIALS", "20"))


class Subsession(BaseSubsession):
    pass


class Group(BaseGroup):
    pass


class Player(BasePlayer):
    choice = models.IntegerField(
        choices=[[0, "Option 1"], [1, "Option 2"], [2, "Option 3"]],
        widget=widgets.RadioSelect,
    )
    rt_ms = models.FloatField(blank=True)


class Trial(Page):
    form_model = "player"
    form_fields = ["choice", "rt_ms"]


class Done(Page):
    @staticmethod
    def is_displayed(player: Player):
        return player.round_number == C.NUM_ROUNDS


page_sequence = [Trial, Done]
"""

TRIAL_PAGE = """\
{{ block title }}Task {{ player.round_number }} of {{ C.NUM_ROUNDS }}{{ endblock }}
{{ block content }}
<p>Which of the three clips goes with the picture?</p>
{{ formfields }}
{{ next_button }}
{{ endblock }}
"""

DONE_PAGE = """\
{{ block title }}Thank you{{ endblock }}
{{ block content }}<p class="afc-done">All tasks are done.</p>{{ endblock }}
"""


def otree_environment(venv: Path) -> Path:
    """The venv's `otree` command, installing oTree (and psycopg2 for PostgreSQL) first."""
    command = venv / "bin" / "otree"
    if command.exists():
        return command
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
    packages = [f"otree=={OTREE_VERSION}", "psycopg2-binary"]
    try:
        subprocess.run([*pip, *packages], check=True, timeout=900)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        message = f"oTree {OTREE_VERSION} could not be installed into {venv}: {error}"
        raise SystemExit(message) from error
    return command


def write_project(folder: Path) -> Path:
    """The oTree project folder (settings and the afc app), written afresh."""
    app = folder / "afc"
    app.mkdir(parents=True, exist_ok=True)
    (folder / "settings.py").write_text(SETTINGS)
    (folder / "__init__.py").write_text("")
    (app / "__init__.py").write_text(APP)
    (app / "Trial.html").write_text(TRIAL_PAGE)
    (app / "Done.html").write_text(DONE_PAGE)
    return folder
