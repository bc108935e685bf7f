"""The queue, the patient list, remote monitoring and the patient's pages read every table
through an index, on SQLite and on PostgreSQL: each SELECT those pages send is EXPLAINed.

With the demo's few rows PostgreSQL would choose a sequential scan anyway, so its planner is
told to avoid one (enable_seqscan off): it still scans when no index can answer the query.
"""
from __future__ import annotations

import re

from sqlalchemy import text

from app.extensions import db
from tests.test_query_counts import counting_statements, signed_in_demo

PAGES = [
    ("nurse", "/nurse/queue"),
    ("nurse", "/nurse/patients"),
    ("nurse", "/nurse/monitoring"),
    ("nurse", "/nurse/patients/{david}"),
    ("patient", "/my-care"),
    ("hna_patient", "/hna/questions/distress"),
    ("patient", "/my-care/plan"),
    ("patient", "/my-care/follow-up"),
    ("patient", "/my-care/symptoms"),
    ("patient", "/my-care/results"),
    ("patient", "/my-care/messages"),
]
SQLITE_FULL_SCAN = re.compile(r"^SCAN (\w+)\b(?! USING (?:COVERING )?INDEX)")
POSTGRES_FULL_SCAN = re.compile(r"Seq Scan on (\w+)")


def full_scans(connection, statement: str, parameters) -> set[str]:
    """The tables this statement reads from end to end."""
    tables = set(db.metadata.tables)
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        # SQLite names a table by its alias in the query (users_1 for a second join of users).
        found = {re.sub(r"_\d+$", "", m.group(1)) if re.sub(r"_\d+$", "", m.group(1)) in tables else m.group(1)
                 for row in rows if (m := SQLITE_FULL_SCAN.match(row[-1]))}
    else:
        with connection.begin():
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        found = {m.group(1) for row in rows for m in POSTGRES_FULL_SCAN.finditer(row[0])}
    return found & tables


def test_the_main_pages_read_every_table_through_an_index(app):
    clients, ids = signed_in_demo(app)
    scans = []
    for who, path in PAGES:
        url = path.format(**ids)
        clients[who].get(url)
        with app.app_context(), counting_statements(with_parameters=True) as statements:
            assert clients[who].get(url).status_code == 200, url
        with app.app_context(), db.engine.connect() as connection:
            for statement, parameters in statements:
                if statement.lstrip().upper().startswith("SELECT"):
                    for table in full_scans(connection, statement, parameters):
                        scans.append(f"{url}: {table} in {' '.join(statement.split())[:300]}")
    assert not scans, "reads without an index:\n" + "\n".join(scans)
