"""Every worker sweeps for lost jobs every lease/3 seconds and sends each one again.

The sweep runs in a daemon thread of the worker's main process, so it keeps going while the
worker runs a long job (solo pool) and survives the death of a pool process (prefork), whose
job it then redoes. It takes its own database connection for each round and closes it after.
"""

import logging
import os
import threading

from django.db import connections

logger = logging.getLogger(__name__)

# Held while the sweep talks to the database. A prefork worker forks a new pool process from
# its main thread; waiting for the lock first means no child starts with a half-done query's
# locks (SQLite's, the driver's) copied into it.
_talking_to_database = threading.Lock()
os.register_at_fork(
    before=_talking_to_database.acquire,
    after_in_parent=_talking_to_database.release,
    after_in_child=_talking_to_database.release,
)


def sweep_once() -> dict[str, list[int]]:
    """Send again every lost generation job and model run; returns the ids sent, by kind."""
    from studies import generation, training

    with _talking_to_database:
        try:
            return {
                "generation_jobs": generation.generation_jobs_requeue_lost(),
                "model_runs": training.model_runs_requeue_lost(),
            }
        finally:
            connections.close_all()


class Sweeper:
    def __init__(self, *, every_s: float):
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sweep_until_stopped, name="job-sweep")
        self._thread.daemon = True

    def start(self) -> "Sweeper":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _sweep_until_stopped(self) -> None:
        while True:
            try:
                sent = sweep_once()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the sweeping
                logger.exception("the sweep for lost jobs failed; trying again")
            else:
                if any(sent.values()):
                    logger.warning("lost jobs sent again: %s", sent)
            if self._stop.wait(self.every_s):
                return
