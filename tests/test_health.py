"""The health check the load balancer reads: healthy only when the database really answers."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

from app import create_app
from app.extensions import db
from app.models import Team
from tests.conftest import base_test_config


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


def _corrupt_header(path: Path) -> None:
    with path.open("r+b") as file:
        file.write(b"this is not a database file at all")


def _garble_every_page_after_the_first(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(4096)
        file.write(b"\xde\xad\xbe\xef" * ((size - 4096) // 4))


def _truncate_to_the_first_page(path: Path) -> None:
    with path.open("r+b") as file:
        file.truncate(4096)


@pytest.mark.hazard("HAZ-013")
@pytest.mark.parametrize("damage", [_corrupt_header, _garble_every_page_after_the_first, _truncate_to_the_first_page],
                         ids=lambda damage: damage.__name__.strip("_"))
def test_a_corrupt_sqlite_file_is_unhealthy(tmp_path, damage):
    database = tmp_path / "corrupt.sqlite"
    app = create_app(base_test_config(f"sqlite:///{database}", tmp_path))
    with app.app_context():
        db.create_all()
        db.session.add(Team(name="Team A"))
        db.session.commit()
        db.engine.dispose()
    assert app.test_client().get("/healthz").status_code == 200

    damage(database)
    with app.app_context():
        db.engine.dispose()  # a fresh connection reads the damaged file
    response = app.test_client().get("/healthz")
    with app.app_context():
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
