"""With REDIS_URL set, what every process must share is kept in a real Redis (scripts/test starts
one, scripts/test-redis-server): the rate limits and the task queue. (Sessions and sign-in delays
are database rows: tests/test_two_processes.py.)"""
from __future__ import annotations


import pytest
import redis
from huey.storage import RedisStorage

from app import create_app
from app.background import huey
from app.extensions import db
from app.symptoms.tasks import daily_symptom_sweep
from app.triage.queue import ItemKind
from tests.conftest import base_test_config
from tests.servers import consumer, sweep_queued_from_here
from tests.symptoms.helpers import clock, log_a_symptom_the_daily_sweep_raises  # noqa: F401  (clock is a fixture)


@pytest.fixture
def app_config(app_config, redis_url) -> dict:
    return {**app_config, "REDIS_URL": redis_url, "RATELIMIT_ENABLED": True, "RATE_LIMIT_SIGN_IN": "3 per minute"}


def test_rate_limits_are_counted_in_redis(app, client, redis_url):
    for _ in range(3):
        assert client.post_json("/sign-in/passkey/options").status_code != 429
    assert client.post_json("/sign-in/passkey/options").status_code == 429

    with redis.Redis.from_url(redis_url) as connection:
        assert any(key.startswith(b"LIMITS:") for key in connection.keys())
        # The count is Redis's: emptied there, it is gone for this process too.
        connection.flushdb()
    assert client.post_json("/sign-in/passkey/options").status_code != 429


def test_a_task_queued_is_kept_in_redis_until_a_consumer_takes_it(app, redis_url, database_url, tmp_path):
    queueing = create_app({**base_test_config(database_url, tmp_path), "HUEY_IMMEDIATE": False, "REDIS_URL": redis_url})
    assert isinstance(huey.storage, RedisStorage)

    daily_symptom_sweep()

    assert huey.pending_count() == 1
    with redis.Redis.from_url(redis_url) as connection:
        assert connection.keys(), "nothing was written to Redis"
    task = huey.dequeue()
    assert task is not None and task.name.endswith("daily_symptom_sweep")
    try:
        assert huey.execute(task) == 0  # nothing logged: nothing to raise
    finally:
        with queueing.app_context():
            db.engine.dispose()
    assert huey.pending_count() == 0


@pytest.mark.servers
def test_the_consumer_runs_a_task_queued_in_redis_by_another_process(app, patient, clock, database_url,  # noqa: F811
                                                                     redis_url, tmp_path):
    """`flask tasks consume` with REDIS_URL, as in production: a task this process queues in
    Redis (as a web worker does) runs in the consumer, and SIGTERM stops it."""
    log_a_symptom_the_daily_sweep_raises(patient, clock)
    with consumer(database_url, tmp_path, REDIS_URL=redis_url) as running:
        raised = sweep_queued_from_here(app, database_url, tmp_path, REDIS_URL=redis_url)
    assert raised == [ItemKind.RED_FLAG], running.output
    assert "queue in Redis at 127.0.0.1" in running.output
