"""Every statement a main page sends on PostgreSQL is one psycopg keeps converted (a count, not a
timing).

psycopg turns a statement's `%(name)s` placeholders into PostgreSQL's `$1` form, and keeps the
result (`psycopg._queries._query2pg`, an lru_cache) only for a statement of at most
MAX_CACHED_STATEMENT_LENGTH bytes with at most MAX_CACHED_STATEMENT_PARAMS parameters; a longer
one is converted anew on every execution: the patient home's one statement (4608 bytes) cost
about 400 Python calls, a ninth of the page, on each view (issue 12). The pages are
tests/test_query_counts.py's walk.
"""
from __future__ import annotations

from importlib.metadata import version

import pytest

from app import plain_rows
from app.extensions import db
from tests.test_query_counts import PAGES, counting_statements, demo  # noqa: F401 (demo: fixture)

psycopg_queries = pytest.importorskip("psycopg._queries")


def is_kept_converted(statement: str, parameters) -> bool:
    """psycopg's own test (PostgresQuery.convert), on the bytes it is given."""
    return (len(statement.encode()) <= psycopg_queries.MAX_CACHED_STATEMENT_LENGTH
            and len(parameters or ()) <= psycopg_queries.MAX_CACHED_STATEMENT_PARAMS)


@pytest.mark.parametrize(("statement", "parameters", "kept"), [
    ("SELECT 1", {}, True),
    ("SELECT %(a)s", {"a": 1}, True),
    ("x" * psycopg_queries.MAX_CACHED_STATEMENT_LENGTH, {}, True),
    ("x" * (psycopg_queries.MAX_CACHED_STATEMENT_LENGTH + 1), {}, False),
    # Bytes, not characters: psycopg measures the statement encoded.
    ("é" * (psycopg_queries.MAX_CACHED_STATEMENT_LENGTH // 2 + 1), {}, False),
    ("SELECT 1", {f"p{n}": n for n in range(psycopg_queries.MAX_CACHED_STATEMENT_PARAMS + 1)}, False),
])
def test_is_kept_converted_is_psycopgs_rule(statement, parameters, kept):
    assert is_kept_converted(statement, parameters) is kept


def test_each_main_page_sends_only_statements_psycopg_keeps_converted(app, demo):  # noqa: F811
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("psycopg's cache of converted statements: PostgreSQL only")
    clients, ids = demo
    too_long = []
    for who, path, _budget in PAGES:
        url = path.format(**ids)
        with app.app_context(), counting_statements(with_parameters=True) as statements:
            response = clients[who].get(url)
        assert response.status_code == 200, f"{url} as {who}: {response.status_code}"
        too_long += [f"{url}: {len(statement.encode())} bytes, {len(parameters or ())} parameters: {statement[:80]}"
                     for statement, parameters in statements if not is_kept_converted(statement, parameters)]
    assert not too_long, "\n".join(too_long)


def test_psycopg_keeps_the_statements_of_the_length_plain_rows_allows():
    """app/plain_rows.py raises psycopg's module constant at start-up: pinned to the psycopg it was
    read in (pyproject.toml: ==3.3.9), and what it changes checked by what psycopg does, so that
    another psycopg (its constant renamed, its cache keyed otherwise) fails here, not quietly."""
    from psycopg._queries import PostgresQuery, _query2pg
    from psycopg.adapt import Transformer

    assert version("psycopg") == "3.3.9"
    assert psycopg_queries.MAX_CACHED_STATEMENT_LENGTH == plain_rows.PSYCOPG_KEPT_STATEMENT_LENGTH
    statement = "SELECT %(a)s" + " " * (plain_rows.PSYCOPG_KEPT_STATEMENT_LENGTH - len("SELECT %(a)s"))
    hits = _query2pg.cache_info().hits
    for _ in range(2):
        PostgresQuery(Transformer()).convert(statement, {"a": 1})
    assert _query2pg.cache_info().hits == hits + 1
