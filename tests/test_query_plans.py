"""The queue, the patient list, remote monitoring and the patient's pages read every table
through an index, on SQLite and on PostgreSQL: each SELECT those pages send is EXPLAINed.

With the demo's few rows PostgreSQL would choose a sequential scan anyway, so its planner is
told to avoid one (enable_seqscan off), and hash and merge joins, which read a side whole: it
still scans when no index can answer the query, or it reads a whole index instead (an index scan with no Index Cond, kept only for its order or because
the index holds every column asked for), which is as much a read of every row. SQLite's plan says
the same as SCAN: of the table, or USING INDEX / COVERING INDEX (the whole index, in its order);
a read through an index is SEARCH. PostgreSQL plans each as in a new database, with no
statistics, whatever an earlier test or autovacuum left (without_statistics).

A known limit: with hash and merge joins turned off for the EXPLAIN, the planner joins through
an index wherever one can answer the join, so this check approves join plans that production
might not choose: at small sizes PostgreSQL may still prefer a hash join reading one side whole
(cheap while that side is small), and bench/volume.py, which uses this same check at volume,
has the same limit. A hash join this check never sees is caught only by timing it there.
"""
from __future__ import annotations

import re

import pytest
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
# A table read end to end: SCAN t, SCAN t USING INDEX i, SCAN t USING COVERING INDEX i; a
# skip-scan, SEARCH t USING INDEX i (ANY(a) AND b=?), every entry of i's first column; or an
# index SQLite builds for the statement from the whole table (SEARCH t USING AUTOMATIC INDEX). (A
# SEARCH on an index's first columns is a read through an index.)
SQLITE_FULL_SCAN = re.compile(r"^(?:SCAN (\w+)\b|SEARCH (\w+) .*\(ANY\(|SEARCH (\w+) USING AUTOMATIC )")
# A table and its alias in a statement: FROM users AS users_1, JOIN users u.
SQL_ALIAS = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)\s+(?:AS\s+)?(\w+)", re.IGNORECASE)
POSTGRES_INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}
# Each index's first column (none for an expression): a condition on later columns alone still
# reads the whole index.
POSTGRES_FIRST_COLUMNS = text(
    "SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
    "WHERE c.relnamespace = 'public'::regnamespace")


def _on_first_column(condition: str, first_column: str | None) -> bool:
    """Whether an Index Cond limits the index's first column (PostgreSQL writes the index's
    column on the left of each condition: "((team_id = 1) AND ((role)::text = 'nurse'::text))").
    The column by its whole name, unqualified or after its table or alias, quoted or not: a
    first column `id` is not limited by a condition on `idempotency_key`, nor `user_id` by one
    on `user_id_hash` (tests/test_query_plans.py INDEX_CONDITIONS)."""
    if first_column is None:
        return True
    column = re.compile(rf'^\(*(?:"?\w+"?\.)?"?{re.escape(first_column)}\b"?(?!\.)')
    return any(column.match(part) for part in condition.split(" AND "))


def _postgres_full_scans(plan: dict, first_columns: dict, relation: str | None = None) -> set[str]:
    """The tables a PostgreSQL plan (EXPLAIN's JSON) reads whole: a sequential scan, or an index
    scan with no Index Cond on the index's first column (the whole index). A bitmap index scan
    reads for its Bitmap Heap Scan's table."""
    found = set()
    relation = plan.get("Relation Name", relation)
    kind = plan["Node Type"]
    if kind == "Seq Scan" or (kind in POSTGRES_INDEX_SCANS and not _on_first_column(
            plan.get("Index Cond", ""), first_columns.get(plan["Index Name"]))):
        found.add(relation)
    for inner in plan.get("Plans", []):
        found |= _postgres_full_scans(inner, first_columns, relation)
    return found


def _as_never_analysed(connection, tables: set[str]) -> None:
    """The planner sees the app's tables as in a new database, never analysed: of unknown size,
    which it takes as ten pages of rows, so a lookup through an index costs less than a read of
    every row and a whole read shows. Otherwise it planned with the statistics autovacuum took at
    some moment of an earlier test: with a table taken as empty (reltuples 0), every index of it
    costs the same, and it read a whole index as readily as it looked a row up (the signed-in
    person's session read whole through ix_user_sessions_user_seen, filtered by token_hash, when
    the test ran after the other files). ANALYZE of the demo's few rows does the same. Only in
    this transaction, rolled back after the EXPLAIN (the test server's user is a superuser)."""
    names = {"names": sorted(tables)}
    connection.execute(text("UPDATE pg_class SET reltuples = -1, relpages = 0, relallvisible = 0 "
                            "WHERE relnamespace = current_schema()::regnamespace AND relname = ANY(:names)"), names)
    connection.execute(text("DELETE FROM pg_statistic WHERE starelid IN (SELECT oid FROM pg_class WHERE "
                            "relnamespace = current_schema()::regnamespace AND relname = ANY(:names))"), names)


def full_scans(connection, statement: str, parameters, *, without_statistics: bool = False) -> set[str]:
    """The tables this statement reads from end to end. The tests' few rows plan
    `without_statistics` (on PostgreSQL); bench/volume.py plans a real volume with the statistics
    its ANALYZE took."""
    tables = set(db.metadata.tables)
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        # SQLite names a table by its alias in the query (users_1 for a second join of users).
        aliases = {alias: table for table, alias in SQL_ALIAS.findall(statement) if table in tables}
        found = {aliases.get(name, name) for row in rows if (m := SQLITE_FULL_SCAN.match(row[-1]))
                 for name in m.groups() if name}
    else:
        transaction = connection.begin()
        try:
            first_columns = dict(connection.execute(POSTGRES_FIRST_COLUMNS).all())
            if without_statistics:
                _as_never_analysed(connection, tables)
            # Nor a hash or merge join, which read their inner side whole: a join an index can
            # answer then goes through it, and one no index can answer still reads a table whole.
            connection.execute(text("SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; "
                                    "SET LOCAL enable_mergejoin = off"))
            explained = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar_one()
        finally:
            transaction.rollback()
        found = _postgres_full_scans(explained[0]["Plan"], first_columns)
    return found & tables


# (what the query is, the query, its parameters, the tables it may read whole; which one of a
# join's is the planner's choice): the check above must
# see each way of reading a whole table on both databases, and let a read through an index pass.
CASES = [
    ("a filter no index answers", "SELECT id FROM patient_profiles WHERE tumour_pathway = :p",
     {"p": "breast"}, {"patient_profiles"}),
    ("the whole of an index, for its order", "SELECT id FROM patient_profiles WHERE tumour_pathway = :p "
     "ORDER BY family_name", {"p": "breast"}, {"patient_profiles"}),
    ("the whole of an index that holds every column asked for", "SELECT count(family_name) FROM patient_profiles",
     {}, {"patient_profiles"}),
    ("a join reading one side whole", "SELECT p.id FROM patient_profiles p JOIN users u ON u.id = p.user_id "
     "WHERE u.display_name = :name", {"name": "David Hughes"}, {"users", "patient_profiles"}),
    ("an index's later column alone", "SELECT id FROM users WHERE display_name = :name",
     {"name": "David Hughes"}, {"users"}),
    ("a correlated subquery no index answers", "SELECT p.id FROM patient_profiles p WHERE p.id = :id AND EXISTS "
     "(SELECT 1 FROM hnas h WHERE h.status = p.tumour_pathway)", {"id": 1}, {"hnas"}),
    ("a row by its key", "SELECT id FROM patient_profiles WHERE id = :id", {"id": 1}, set()),
    ("a team's patients in name order", "SELECT id FROM patient_profiles WHERE team_id = :t ORDER BY family_name, "
     "given_name", {"t": 1}, set()),
    ("an index's first columns", "SELECT id FROM users WHERE team_id = :t AND role = :r", {"t": 1, "r": "nurse"},
     set()),
    ("a join through indexes on both sides", "SELECT u.display_name FROM patient_profiles p JOIN users u "
     "ON u.id = p.user_id WHERE p.id = :id", {"id": 1}, set()),
]


@pytest.mark.parametrize(("what", "query", "values", "whole"), CASES, ids=[case[0] for case in CASES])
def test_the_check_sees_every_way_of_reading_a_whole_table(app, what, query, values, whole):
    with app.app_context(), db.engine.connect() as connection:
        compiled = text(query).bindparams(**values).compile(dialect=connection.dialect)
        statement = str(compiled)
        parameters = (tuple(compiled.params[name] for name in compiled.positiontup) if connection.dialect.positional
                      else compiled.params)
        found = full_scans(connection, statement, parameters, without_statistics=True)
    assert bool(found) == bool(whole) and found <= whole, found


def test_postgresql_plans_the_same_whatever_statistics_an_earlier_test_left(app):
    """Statistics of the tables taken while they were empty, as autovacuum takes them between
    tests: with those, the planner read users whole through ix_users_team_id for a join by key."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            pytest.skip("SQLite plans from the schema alone (its statistics only if ANALYZE made some)")
        connection.execute(text("ANALYZE " + ", ".join(f'"{name}"' for name in db.metadata.tables)))
        connection.commit()
        found = full_scans(connection, "SELECT u.display_name FROM patient_profiles p JOIN users u "
                           "ON u.id = p.user_id WHERE p.id = 1", {}, without_statistics=True)
    assert found == set()


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
                    for table in full_scans(connection, statement, parameters, without_statistics=True):
                        scans.append(f"{url}: {table} in {' '.join(statement.split())[:300]}")
    assert not scans, "reads without an index:\n" + "\n".join(scans)


# SQLite's plan lines, as EXPLAIN QUERY PLAN words them, and the table (or alias) each reads whole.
SQLITE_PLAN_LINES = [
    ("SCAN queue_items", "queue_items"),
    ("SCAN users USING INDEX ix_users_team_role_name", "users"),
    ("SCAN u USING COVERING INDEX ix_users_team_role_name", "u"),
    ("SEARCH users USING INDEX ix_users_team_role_name (ANY(team_id) AND role=?)", "users"),
    ("SEARCH q USING AUTOMATIC COVERING INDEX (reason=?)", "q"),
    ("SEARCH q USING AUTOMATIC PARTIAL COVERING INDEX (reason=?)", "q"),
    ("SEARCH users USING INDEX ix_users_team_role_name (team_id=? AND role=?)", None),
    ("SEARCH patient_profiles USING INTEGER PRIMARY KEY (rowid=?)", None),
    ("SEARCH messages USING COVERING INDEX ix_messages_thread_unread (thread_id=?)", None),
    ("CORRELATED SCALAR SUBQUERY 1", None),
    ("USE TEMP B-TREE FOR ORDER BY", None),
]


@pytest.mark.parametrize(("line", "whole"), SQLITE_PLAN_LINES, ids=[line for line, _ in SQLITE_PLAN_LINES])
def test_each_sqlite_plan_line_that_reads_a_table_whole_is_seen(line, whole):
    found = SQLITE_FULL_SCAN.match(line)
    assert (next(name for name in found.groups() if name) if found else None) == whole


# PostgreSQL's Index Cond as EXPLAIN writes it, the index's first column, and whether the
# condition limits that column: the column is matched as a whole name (unqualified, or qualified
# by its table or alias, or quoted), never as the start of a longer one.
INDEX_CONDITIONS = [
    ("(id = 1)", "id", True),
    ("((team_id = 1) AND ((role)::text = 'nurse'::text))", "team_id", True),
    ("((role)::text = 'nurse'::text)", "role", True),
    ("(id = ANY ('{1,2}'::integer[]))", "id", True),
    ("(users.id = 1)", "id", True),
    ("(u.user_id = p.user_id)", "user_id", True),
    ("(\"order\" = 1)", "order", True),
    ("((idempotency_key)::text = 'k'::text)", "id", False),
    ("(user_id_hash = 'h'::text)", "user_id", False),
    ("(users.id_hash = 'h'::text)", "id", False),
    ("((team_id = 1) AND ((role)::text = 'nurse'::text))", "role", True),
    ("(team_id = 1)", "team", False),
    ("", "id", False),
    ("", None, True),
]


@pytest.mark.parametrize(("condition", "first_column", "limited"), INDEX_CONDITIONS,
                         ids=[f"{c or 'none'} on {f}" for c, f, _ in INDEX_CONDITIONS])
def test_an_index_condition_limits_the_first_column_only_by_its_whole_name(condition, first_column, limited):
    assert _on_first_column(condition, first_column) is limited
