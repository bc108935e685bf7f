"""Routes make no queries: a view reads and writes through its area's service module, so the
rules about whose row is whose live in one place (the shape of app/careplan/). Read from the
source, so a query added to a routes module fails here the day it is written."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

# Every routes module in app/, found by name, so a new area is held to this from its first view.
ROUTES_MODULES = sorted(path.relative_to(APP).as_posix() for pattern in ("routes.py", "*_routes.py")
                        for path in APP.rglob(pattern))

# What reads the database: the session's readers and SQLAlchemy's statement builders.
SESSION_READERS = {"get", "scalar", "scalars", "execute", "query", "get_one"}
STATEMENT_BUILDERS = {"select", "update", "delete", "insert", "text", "exists"}
# The reader of plain rows (app/plain_rows.py), which takes a statement as the session does.
PLAIN_READERS = {"read_rows"}


def queries_in(source: str) -> list[str]:
    """Each query-making call or import in the source, as `line: what`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found += [f"{node.lineno}: from {node.module} import {a.name}" for a in node.names if a.name in STATEMENT_BUILDERS]
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        if isinstance(called, ast.Name) and called.id in STATEMENT_BUILDERS | PLAIN_READERS:
            found.append(f"{node.lineno}: {called.id}()")
        if (isinstance(called, ast.Attribute) and called.attr in SESSION_READERS
                and isinstance(called.value, ast.Attribute) and called.value.attr == "session"):
            found.append(f"{node.lineno}: session.{called.attr}()")
    return found


@pytest.mark.parametrize("source, expected", [
    ("db.session.get(Test, 1)", ["1: session.get()"]),
    ("db.session.scalar(select(Test))", ["1: session.scalar()", "1: select()"]),
    ("from sqlalchemy import select, func", ["1: from sqlalchemy import select"]),
    ("db.session.scalars(q)", ["1: session.scalars()"]),
    ("db.session.execute(q)", ["1: session.execute()"]),
    ("read_rows(q, values)", ["1: read_rows()"]),
    # Writing what the service built is the view's job: committing ends the request's work.
    ("db.session.commit()", []),
    ("db.session.rollback()", []),
    ("form.get('x'); request.args.get('y')", []),
    ("plan_of(profile)", []),
])
def test_the_check_finds_reads_and_lets_commits_through(source, expected):
    assert sorted(queries_in(source)) == sorted(expected)


def test_every_area_routes_module_is_found():
    # A glob that matched nothing would pass every module by checking none.
    assert {"admin/routes.py", "careplan/routes.py", "nurse/queue_routes.py"} <= set(ROUTES_MODULES)


@pytest.mark.parametrize("module", ROUTES_MODULES)
def test_routes_module_makes_no_queries(module):
    assert queries_in((APP / module).read_text(encoding="utf-8")) == []
