"""The health check the load balancer reads: healthy only when the database really answers."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from app.extensions import db


@pytest.mark.hazard("HAZ-013")
def test_the_health_check_is_healthy_only_while_the_database_answers(app, client):
    assert client.get("/healthz").status_code == 200

    def database_gone(*args, **kwargs):
        raise RuntimeError("the database is not answering")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", database_gone)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(engine, "before_cursor_execute", database_gone)
    assert response.status_code >= 500
    assert '"ok"' not in response.get_data(as_text=True)
