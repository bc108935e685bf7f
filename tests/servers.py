"""Real processes for the tests that need them (honcho, gunicorn, Redis): loopback ports, and
stopping a process with everything it started. Every such process is also started under
`timeout`, so none outlives a test run that was killed before it could stop them."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.symptoms.tasks import daily_symptom_sweep
from app.triage.models import QueueItem
from config import BASE_DIR
from tests.conftest import base_test_config

CONSUMER_TIMEOUT_SECONDS = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process_group(process: subprocess.Popen, grace_seconds: float = 10) -> None:
    """SIGTERM to the process's group (it was started with start_new_session), then SIGKILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------- the task queue's consumer


@dataclass
class Consumer:
    process: subprocess.Popen
    output: str = ""

    @property
    def returncode(self) -> int | None:
        return self.process.returncode


@contextmanager
def consumer(database_url: str, tmp_path: Path, **queue: str):
    """`flask tasks consume --workers 1` in its own process, as scripts/run-demo starts it, on the
    queue `queue` names (HUEY_SQLITE_PATH=... or REDIS_URL=...); SIGTERM stops it on leaving, and
    its output and exit code are then on the Consumer."""
    env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": database_url,
           "INSTANCE_PATH": str(tmp_path / "consumer-instance"), **queue}
    started = Consumer(subprocess.Popen(
        ["timeout", str(CONSUMER_TIMEOUT_SECONDS), sys.executable, "-m", "flask", "tasks", "consume", "--workers", "1"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    try:
        yield started
    finally:
        started.process.send_signal(signal.SIGTERM)
        started.output, _ = started.process.communicate(timeout=30)


def sweep_queued_from_here(app, database_url: str, tmp_path: Path, **queue: str) -> list:
    """Queue the daily symptom sweep from this process on the queue `queue` names, as a web worker
    does, and wait up to 30 s for a consumer to run it: the kinds of the queue items then."""
    create_app({**base_test_config(database_url, tmp_path), "HUEY_IMMEDIATE": False, **queue})
    daily_symptom_sweep()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not queue_items(app):
        time.sleep(0.2)
    return [item.kind for item in queue_items(app)]


def queue_items(app) -> list:
    with app.app_context():
        items = list(db.session.scalars(select(QueueItem)))
        db.session.remove()
        return items
