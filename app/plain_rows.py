"""The one way to read plain rows (named tuples of columns, no ORM objects) for a page.

`db.session.execute` of a statement naming mapped columns sends it through the ORM's execution
and result machinery (the ORM's execution context, its loading of each row) even when it selects
only columns: about half of a small read's Python calls, for rows that come out the same. Here
the statement goes through the session's connection (its transaction, as every other statement
of the request), after the session's autoflush, so pending changes are seen as a session query
would see them. For statements built once with bound parameters (issue 12).

A plain SELECT read a second time is kept compiled (`_Kept`) and then sent straight to the
connection's driver cursor: Core's execution of even a compiled-and-cached statement walked the
whole statement again each time to find it in the cache (its cache key), then built an execution
context and a cursor result, four to ten times what the driver itself took for the session's
statement that every request reads. Kept, only the driver runs, with the same SQL, the same
parameters (each bound value through its type's processor, as Core sends it), the same rows (each
column through its type's result processor) and the same named rows; it goes through
`Connection._cursor_execute`, Core's own path for statements it sends itself, so the engine's
cursor events (the statement counts of tests/test_query_counts.py), the dialect's execution
events (`extensions.begin_before_the_first_write` on PostgreSQL, SQLite's writers' queue)
and the translation of driver errors, a lost connection's included, are as before; an error while
fetching the rows (SQLite steps through rows after the first in `fetchall()`) is translated, and
seen by `handle_error`, through `Connection._handle_dbapi_exception` as Core's result does.

What a kept read sends is decided once, when the statement is kept: each parameter is either
supplied by every read (keyed by its bind's own key) or the statement's own value (the value it was
built with, or given by `.params()`), never a value an earlier read supplied. Everything else goes
through Core every time: a statement read once (built for one request); one whose compiled SQL
depends on its parameters (expanding IN lists, literal values rendered at execution); a DELETE, or
an INSERT or UPDATE leaving Core a Python-side default or onupdate to compute; one with
execution options (the statement's or the connection's); a read that keys a value by a bind's
compiled name (Core takes `id_1` too) rather than by the bind's own key; a read while the
connection has listeners of its own, or its engine `before_execute`/`after_execute` ones.

`write_row` is the same for one INSERT or UPDATE whose written rows nobody reads back (a JSON
save's own row, its idempotency record, an audit event; issue 12: Core's execution was about 95
Python calls of such a save's INSERT, its driver's work a tenth of them): kept from its second
execution with the same columns supplied, sent straight to the cursor, its rowcount answered. An
INSERT or UPDATE with RETURNING (the new row's id) is read with `read_rows`, kept the same way.
Kept only when Core would send exactly what is kept: never one computing anything per execution
(a column's Python-side default or onupdate not supplied, a key Core asks back by itself, an
expanding or literal parameter).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from weakref import WeakKeyDictionary

import psycopg._queries
from sqlalchemy import Executable, Result
from sqlalchemy.engine import IteratorResult
from sqlalchemy.engine.result import SimpleResultMetaData

from .extensions import db

# psycopg turns each statement's `%(name)s` placeholders into PostgreSQL's `$1` form before sending
# it, and keeps what it made (an lru_cache of 128 statements) only for a statement of at most
# MAX_CACHED_STATEMENT_LENGTH bytes, 4096 in psycopg 3.3.9: its guard against the endless
# variety of long statements an ORM may make (an INSERT of n rows, an IN list of n values). Ours
# are built once with bound parameters, the same text every request, but the patient home's one
# statement is 4608 bytes (a dozen rules of other areas as subqueries, each bound value with its
# type's cast): converted anew on every view, about 400 Python calls, a ninth of the page on
# PostgreSQL (issue 12). Making it shorter would mean restating those areas' rules in the home's
# statement. Set once, here, as the app starts; the module's other limit (50 parameters) stands.
# tests/test_statement_lengths.py pins psycopg's version and checks that every main page's
# statements are kept converted.
PSYCOPG_KEPT_STATEMENT_LENGTH = 8192
psycopg._queries.MAX_CACHED_STATEMENT_LENGTH = PSYCOPG_KEPT_STATEMENT_LENGTH


def read_rows(statement: Executable, values: Mapping[str, Any] | None = None) -> Result:
    """The statement's rows as Core gives them: iterate, or `.all()`, `.first()`, `.one()`."""
    session = db.session()
    if session.autoflush:
        session.flush()
    connection = session.connection()
    kept = _kept(statement, connection.dialect, values or {})
    # What Core does around a statement's execution (execution options, execute events: of this
    # connection, or of its engine whose dispatch, unlike a new connection's, is built once).
    engine_events = connection.engine.dispatch
    if (kept is None or kept.writes or connection._execution_options or connection._has_events
            or engine_events.before_execute or engine_events.after_execute):
        return connection.execute(statement, values)
    return kept.read(connection, values or {})


def write_row(statement: Executable, values: Mapping[str, Any]) -> int:
    """Send an INSERT or UPDATE (built once, values as bound parameters) in the session's
    transaction, nothing flushed first (as Core's execute on the session's connection), and
    answer how many rows it wrote. A driver error (a unique key, a lost connection) is Core's."""
    connection = db.session.connection()
    kept = _kept(statement, connection.dialect, values)
    engine_events = connection.engine.dispatch
    if (kept is None or not kept.writes or connection._execution_options or connection._has_events
            or engine_events.before_execute or engine_events.after_execute):
        # preserve_rowcount: Core reads an INSERT's rowcount only when asked (psycopg's closed
        # cursor then says -1).
        return connection.execute(statement, values, execution_options=_ROWCOUNT).rowcount
    return kept.write(connection, values)


_ROWCOUNT = {"preserve_rowcount": True}


# Per engine's dialect, per statement object: `_ONCE` after its first read, then its `_Kept` (or
# `_NOT_KEPT`). Weak both ways: a statement built for one request goes with it.
_KEPT: WeakKeyDictionary = WeakKeyDictionary()
_ONCE, _NOT_KEPT = object(), object()


def _kept(statement, dialect, values: Mapping[str, Any]) -> _Kept | None:
    by_statement = _KEPT.get(dialect)
    if by_statement is None:
        by_statement = _KEPT[dialect] = WeakKeyDictionary()
    kept = by_statement.get(statement)
    if kept is None:
        by_statement[statement] = _ONCE
        return None
    if kept is _ONCE:
        kept = by_statement[statement] = _Kept.of(statement, dialect, values) or _NOT_KEPT
    if kept is _NOT_KEPT or values.keys() != kept.supplied:
        return None
    return kept


class _Kept:
    """A statement compiled once for a dialect: its SQL, how to make its driver parameters from
    the values a read supplies (`supplied`: their names; every other parameter is the statement's
    own constant), and, from its first execution, its rows' keys and result processors."""

    __slots__ = ("sql", "supplied", "positional", "names", "slots", "compiled", "metadata", "writes")

    @classmethod
    def of(cls, statement, dialect, values: Mapping[str, Any]) -> _Kept | None:
        """Kept only if every read with these values' keys sends what Core would send for its own
        values; None (through Core every time) whenever that cannot be told once for all."""
        if statement._execution_options:
            return None
        if getattr(statement, "is_select", False) and not statement.is_dml:
            dml = False
        elif getattr(statement, "is_insert", False) or getattr(statement, "is_update", False):
            dml = True
        else:
            return None
        try:
            # An INSERT's or UPDATE's SQL names the columns its values supply (an INSERT's
            # VALUES), as Core compiles it for those values.
            compiled = (statement.compile(dialect=dialect, column_keys=list(values)) if dml
                        else statement.compile(dialect=dialect))
        except Exception:  # noqa: BLE001  (not a statement Core compiles alone: Core's path says why)
            return None
        if (compiled.has_out_parameters or compiled.post_compile_params or compiled.literal_execute_params
                or getattr(compiled, "_render_postcompile", False) or compiled.escaped_bind_names):
            return None
        # Anything Core works out per execution of an INSERT or UPDATE (a Python-side default or
        # onupdate not supplied, a key it asks back by itself): Core every time.
        if dml and (compiled.insert_prefetch or compiled.update_prefetch or compiled.implicit_returning
                    or compiled.isdelete):
            return None
        # Rows to read: a SELECT's, or what an INSERT or UPDATE sends back (RETURNING).
        has_rows = bool(compiled._result_columns)
        if has_rows and (compiled._textual_ordered_columns or compiled._loose_column_name_matching):
            return None
        if not dml and not has_rows:
            return None
        writes = not has_rows
        supplied = frozenset(values)
        binds = {}
        for bind, name in compiled.bind_names.items():
            # A value keyed by a compiled name (Core takes `id_1` for `User.id == 2`) would be
            # frozen here as a constant. A key naming no bind (a value a statement's variant does
            # not use) is passed over, by Core as here: it can never be taken as a value.
            if name in supplied and bind.key != name:
                return None
            if bind.key not in supplied and (bind.required or bind.callable is not None):
                return None
            if bind.type._is_tuple_type or binds.setdefault(name, bind).key != bind.key:
                return None
        # The statement's own values only: built from no supplied value at all.
        constants = compiled.construct_params({}, _check=False)
        processors = compiled._bind_processors
        names = list(compiled.positiontup) if dialect.positional else list(binds)
        slots = []
        for name in names:
            bind, processor = binds[name], processors.get(name)
            if bind.key in supplied:
                slots.append((bind.key, processor, None))
            else:
                value = constants[name]
                slots.append((None, None, processor(value) if processor else value))
        kept = cls()
        kept.sql, kept.supplied, kept.positional = compiled.string, supplied, dialect.positional
        kept.names, kept.slots, kept.compiled, kept.metadata = tuple(names), tuple(slots), compiled, None
        kept.writes = writes
        return kept

    def parameters(self, values: Mapping[str, Any]):
        out = []
        for key, processor, constant in self.slots:
            if key is None:
                out.append(constant)
            else:
                value = values[key]
                out.append(processor(value) if processor else value)
        return tuple(out) if self.positional else dict(zip(self.names, out, strict=True))

    def read(self, connection, values: Mapping[str, Any]) -> Result:
        parameters = self.parameters(values)
        cursor = connection.connection.cursor()
        try:
            connection._cursor_execute(cursor, self.sql, parameters)
            try:
                rows = cursor.fetchall()
            except BaseException as error:
                connection._handle_dbapi_exception(error, self.sql, parameters, cursor, None)
            metadata = self.metadata or self._metadata(connection.dialect, cursor.description)
        finally:
            cursor.close()
        return IteratorResult(metadata, iter(rows))

    def write(self, connection, values: Mapping[str, Any]) -> int:
        parameters = self.parameters(values)
        cursor = connection.connection.cursor()
        try:
            connection._cursor_execute(cursor, self.sql, parameters)
            return cursor.rowcount
        finally:
            cursor.close()

    def _metadata(self, dialect, description) -> SimpleResultMetaData:
        """The rows' keys and each column's result processor, as Core's cursor result makes them
        (the compiled statement's result columns, the driver's type of each column)."""
        columns = self.compiled._result_columns
        self.metadata = SimpleResultMetaData(
            [column[0] for column in columns],
            _processors=[column[3]._cached_result_processor(dialect, entry[1])
                         for column, entry in zip(columns, description, strict=True)])
        return self.metadata
