"""Settings for the participant-path benchmark: the production settings, over plain http.

Everything else (DEBUG, database, secret key, allowed hosts) still comes from the environment,
exactly as in production; bench/participant_path.py sets those. Only what plain http on
127.0.0.1 needs is changed here: no redirect to https, no HSTS, cookies not marked secure.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Every simulated participant comes from 127.0.0.1: the rate limits still count each request
# (their cost is part of the answer path) but are set far above what the benchmark sends.
SYNLAB_RATE_ENROL = SYNLAB_RATE_ANSWER = "1000000000/60"
