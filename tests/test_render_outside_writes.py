"""A page renders outside any write (issue 12): on SQLite a write takes the database's one write
lock until its commit, so a read page that writes (the audit of a read, marking results seen)
renders first and writes last, and no one else's save waits for its rendering. Checked on every
page of the demo, as each demo person reaches them (scripts/page_snapshot.py's crawl)."""
from __future__ import annotations

import pytest
from flask import before_render_template, request

from tests.test_page_snapshot import page_snapshot


@pytest.mark.tools
def test_no_page_renders_while_it_holds_the_write_lock(tmp_path):
    from app.extensions import db

    app = page_snapshot.make_app(f"sqlite:///{tmp_path / 'pages.sqlite'}", tmp_path / "instance")
    people = page_snapshot.seeded_people(app)
    holding = set()

    def rendering(sender, template, context, **extra):
        connection = db.session.connection().connection.driver_connection
        if connection.in_transaction:  # pysqlite opens one only for a write
            holding.add((request.url_rule.rule if request.url_rule else request.path, template.name))

    from tests.helpers import sign_in_as

    before_render_template.connect(rendering, app)
    try:
        for person in people:
            client = app.test_client()
            sign_in_as(client, person.user_id, method="snapshot")
            assert page_snapshot.crawl(client, "/")
    finally:
        before_render_template.disconnect(rendering, app)

    assert sorted(holding) == []
