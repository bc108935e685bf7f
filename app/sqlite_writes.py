"""SQLite's writers queue for the write lock on an OS lock, woken the moment it is free (issue 12).

Why: SQLite lets one connection write at a time. A connection that wants the write lock while
another holds it is answered SQLITE_BUSY, and its busy handler (`PRAGMA busy_timeout`) SLEEPS
and tries again, with back-off: 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 then 100 ms between
tries. Nothing wakes it when the lock is freed, so a writer that met the lock taken waited until
its next try, long after the holder's commit (a fraction of a millisecond): measured with 2
processes of 4 threads, each writing a row in ~0.5 ms then working 4 ms outside the lock
(/dev/shm, so no fsync), the wait for the lock was 3-8 ms at p95, 33 ms at p99 and up to 434 ms
(a writer that kept missing its turn), against 0.6, 1.3-1.7 and 6-13 ms queued on an flock;
served at 16 connections, every page that writes had a p95 of 100-350 ms where the pages that
only read had 31-43 ms.

What: just before a connection's transaction starts on a file database (the driver's own BEGIN,
which Python's sqlite3 sends before the transaction's first INSERT, UPDATE, DELETE or REPLACE, or a
BEGIN sent as SQL: `extensions.savepoint`'s BEGIN IMMEDIATE), it takes its turn on a lock that
every process using the file shares, and gives it back as soon as the transaction is over: right
after the driver's COMMIT or ROLLBACK (a failed COMMIT that SQLite left open, as a deferred
foreign key's, keeps it, as SQLite keeps its write lock, until the driver's rollback: none of the
schema's keys is deferred), when the connection is closed or invalidated, or when the process dies
(the kernel drops a dead process's flock). The queue only puts writers in line in front of
SQLite's own lock, which still guards every write: a writer outside the queue (a statement that
opens no transaction of the driver's, another program, `sqlite3` at a shell) is waited for, and
waits, as before, by the busy timeout.

How the turn is taken, promptly at every step:
- the threads of one process queue on a `threading.Lock` (a futex: the next is woken when the
  holder releases; it waits with a deadline);
- the thread whose turn it is in its process takes an exclusive `fcntl.flock` on a lock file beside
  the database (`<database>-write-lock`), shared with the other processes: gunicorn's workers,
  the huey consumer, a `flask` command. Free, it is taken at once (LOCK_NB). Taken, the process's
  one waiting thread (`_FileWaiter`) blocks in flock, in the kernel, which wakes it when the holder
  unlocks (or dies), and hands it to the writer waiting for it; a blocked flock cannot be given a
  deadline, the writer's wait for the hand-over can.
- the deadline is the busy timeout's (15 s, `extensions.SQLITE_BUSY_TIMEOUT_MS`): then the
  statement fails with SQLite's own error, "database is locked", which the app already answers
  as a write clash (`idempotency.is_write_clash`: retried, then 409 busy).
No library does this: filelock and fasteners wait for a taken lock by polling it (by default
filelock sleeps 50 ms between tries, fasteners 10 ms growing to 100 ms): the same sleeping wait as
SQLite's.

Never queued: an in-memory database (no file, one connection's own), and a connection whose thread
already holds its process's turn through another connection (a thread waiting on itself would wait
out the deadline; it goes straight to SQLite's lock and its busy timeout, as before).

The lock file is made with the database's permissions (and owner, made by root), as SQLite makes
its -wal and -shm files; a process that cannot open it does not queue (logged once), and its writes
go to SQLite's lock as before. It is never deleted: a process holding its flock on a deleted file
would exclude nobody.
Its flock belongs to the process's own open file (opened on first write in each process, close on
exec): a forked child, which shares its parent's open files, opens its own (`os.register_at_fork`).
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
import sqlite3
import threading
import time

# SQLite's own message when its busy timeout runs out: the app turns it into a write clash.
LOCKED_MESSAGE = "database is locked"

# What opens a transaction of the driver's: Python's sqlite3 (3.11) sends BEGIN before a statement
# whose first word (after spaces and comments) is one of these four, when not in a transaction and
# not in autocommit mode; a BEGIN sent as SQL opens one in any mode.
_OPENS_A_TRANSACTION = re.compile(r"(?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)*(INSERT|UPDATE|DELETE|REPLACE|BEGIN)\b",
                                  re.IGNORECASE | re.DOTALL)

logger = logging.getLogger(__name__)

# Each process's queue of each database file, by the file's absolute path (two engines on one
# file, as the tests make, share it).
_QUEUES: dict[str, WriteQueue] = {}
_QUEUES_LOCK = threading.Lock()


def queue_writers(engine, timeout_seconds: float) -> None:
    """Queue the writers of this SQLite engine's database file (see the module's docstring); a
    no-op on other engines and on an in-memory database."""
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return
    path = database_file(engine.url)
    if path is None:
        return
    connection_class = queue_for(path, timeout_seconds).connection_class

    @event.listens_for(engine, "do_connect")
    def _open_queued(_dialect, _record, _cargs, cparams):
        if "factory" in cparams:
            raise RuntimeError("a SQLite engine whose writers are queued makes its own connections' class")
        cparams["factory"] = connection_class

    # On the dialect's execution, not the connection's before_cursor_execute: a listener of the
    # connection's events makes SQLAlchemy dispatch its other events (after each statement, each
    # execution, each begin, commit and rollback) on every statement of every request, ~25 Python
    # calls a request that writes; here each statement costs this one call. Raised in here, an
    # error is SQLAlchemy's translated driver error, as one of the driver's own would be.
    for execution in ("do_execute", "do_executemany", "do_execute_no_params"):
        event.listen(engine, execution, _queue_before_a_transaction)


def database_file(url) -> str | None:
    """The absolute path of the SQLite URL's database file, None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        return None
    if database.startswith("file:"):  # a URI filename (uri=true): its path, without its query
        database = database[len("file:"):].split("?", 1)[0]
        if not database or database == ":memory:":
            return None
    return os.path.abspath(database)


def queue_for(path: str, timeout_seconds: float) -> WriteQueue:
    with _QUEUES_LOCK:
        queue = _QUEUES.get(path)
        if queue is None:
            queue = _QUEUES[path] = WriteQueue(path, timeout_seconds)
        queue.timeout_seconds = timeout_seconds
        return queue


def _queue_before_a_transaction(cursor, statement, *_parameters_and_context) -> bool:
    """Before each statement SQLAlchemy sends to the driver: outside a transaction, one that will
    open one waits for its connection's turn to write. (A turn still held outside a transaction is
    given back first: its transaction ended without the driver's commit or rollback, a BEGIN that
    failed or a COMMIT sent as SQL.) False: the dialect then executes the statement, as always."""
    connection = cursor.connection
    if not connection.in_transaction:
        if connection.holds_the_write_turn:
            connection.give_back_the_write_turn()
        opens = _OPENS_A_TRANSACTION.match(statement)
        if (opens is not None and (connection.isolation_level is not None or opens[1].upper() == "BEGIN")
                and connection.write_queue.enter()):
            connection.holds_the_write_turn = True
    return False


class QueuedWriterConnection(sqlite3.Connection):
    """Python's sqlite3 connection, giving its write turn back as soon as its transaction is over.
    Made per database file (`WriteQueue.connection_class`), which sets `write_queue`."""

    write_queue: WriteQueue
    holds_the_write_turn = False

    def give_back_the_write_turn(self) -> None:
        self.holds_the_write_turn = False
        self.write_queue.leave()

    def commit(self) -> None:
        try:
            sqlite3.Connection.commit(self)
        finally:
            # A COMMIT that failed on a deferred foreign key leaves the transaction open, and
            # SQLite's write lock held: the turn goes with the rollback that follows.
            if self.holds_the_write_turn and not self.in_transaction:
                self.give_back_the_write_turn()

    def rollback(self) -> None:
        try:
            sqlite3.Connection.rollback(self)
        finally:
            if self.holds_the_write_turn and not self.in_transaction:
                self.give_back_the_write_turn()

    def close(self) -> None:
        # SQLAlchemy closes a connection it invalidates, or drops from its pool; SQLite rolls
        # back what it had not committed.
        try:
            sqlite3.Connection.close(self)
        finally:
            if self.holds_the_write_turn:
                self.give_back_the_write_turn()

    def __del__(self) -> None:
        # A connection garbage-collected unclosed mid-transaction (SQLite rolls it back).
        if self.holds_the_write_turn:
            self.give_back_the_write_turn()


class WriteQueue:
    """One process's place in the queue of one database file's writers."""

    def __init__(self, database_path: str, timeout_seconds: float) -> None:
        self.database_path = database_path
        self.lock_path = database_path + "-write-lock"
        self.timeout_seconds = timeout_seconds
        self.connection_class = type("QueuedWriterConnection", (QueuedWriterConnection,), {"write_queue": self})
        self._start_afresh()

    def _start_afresh(self) -> None:
        # This process's writers, one at a time, and the thread whose turn it is.
        self._turn = threading.Lock()
        self._holder: int | None = None
        self._file: _FileWaiter | None = None
        # The lock file could not be opened: this process's writers are not queued (below).
        self._unavailable = False

    def enter(self) -> bool:
        """Wait for this process's turn, then for the file's; False (not queued) when this thread
        holds the turn already, through another connection. Raises sqlite3.OperationalError
        ("database is locked") when the deadline passes first."""
        me = threading.get_ident()
        if self._holder == me or self._unavailable:
            return False
        started = None
        if not self._turn.acquire(False):
            started = time.monotonic()
            if not self._turn.acquire(True, self.timeout_seconds):
                raise sqlite3.OperationalError(LOCKED_MESSAGE)
        try:
            if self._file is None and not self._open_the_lock_file():
                self._turn.release()
                return False
            self._file.lock(started, self.timeout_seconds)
        except BaseException:
            self._turn.release()
            raise
        self._holder = me
        return True

    def _open_the_lock_file(self) -> bool:
        """Open the lock file, made as SQLite makes its -wal and -shm files: with the database's
        permissions and, made by root (a `flask` command), its owner, so that the service's user
        can open it too. One that cannot be opened (a read-only folder, another user's file) must
        not stop the writes: they go to SQLite's lock and its busy timeout, as before the queue,
        and the reason is logged once."""
        try:
            self._file = _FileWaiter(self.lock_path, self.database_path)
            return True
        except OSError as error:
            self._unavailable = True
            logger.warning("SQLite's writers are not queued in this process (%s cannot be opened: %s); "
                           "they wait for the write lock in SQLite's busy handler", self.lock_path, error)
            return False

    def leave(self) -> None:
        """Give the turn back: to another process first (the file), then to this one's threads."""
        self._holder = None
        try:
            fcntl.flock(self._file.fd, fcntl.LOCK_UN)
        finally:
            self._turn.release()


class _FileWaiter:
    """The exclusive flock on the database's lock file, for the one writer of this process whose
    turn it is: taken at once if free, else waited for in the kernel by this object's own thread
    (a flock call blocks without a deadline) and handed over to the writer, who waits for the hand-
    over with its deadline. A writer that gave up leaves the thread waiting: what it gets is
    handed to the process's next writer, or given straight back if none waits."""

    def __init__(self, lock_path: str, database_path: str) -> None:
        database = os.stat(database_path)
        self.fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, database.st_mode & 0o777)
        try:
            if os.geteuid() == 0 and os.fstat(self.fd).st_uid != database.st_uid:
                os.fchown(self.fd, database.st_uid, database.st_gid)
        except OSError:
            os.close(self.fd)
            raise
        self._state = threading.Condition(threading.Lock())
        self._in_the_kernel = False  # the thread is (about to be) blocked in flock
        self._wanted = False  # a writer waits for the hand-over
        self._handed = False  # the thread took the flock for that writer
        self._thread: threading.Thread | None = None

    def lock(self, started: float | None, timeout_seconds: float) -> None:
        """Take the flock, waiting at most until `timeout_seconds` after `started` (now if None).
        Only the writer whose turn it is in this process calls this."""
        # Free, taken at once. Read without the state's lock: only the caller (whose turn it is)
        # sets `_in_the_kernel`, and the waiting thread clears it only once its flock is handed
        # over or given back, so no thread of this process is waiting on the file now.
        if not self._in_the_kernel:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
        deadline = (time.monotonic() if started is None else started) + timeout_seconds
        with self._state:
            if not self._in_the_kernel:
                self._in_the_kernel = True
                if self._thread is None:
                    self._thread = threading.Thread(target=self._wait_in_the_kernel, daemon=True,
                                                    name="sqlite-write-queue")
                    self._thread.start()
            self._wanted = True
            self._state.notify_all()
            while not self._handed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._wanted = False
                    raise sqlite3.OperationalError(LOCKED_MESSAGE)
                self._state.wait(remaining)
            self._handed = self._wanted = False

    def _wait_in_the_kernel(self) -> None:
        while True:
            with self._state:
                while not self._in_the_kernel:
                    self._state.wait()
            fcntl.flock(self.fd, fcntl.LOCK_EX)  # blocks, the GIL released, until it is ours
            with self._state:
                if self._wanted:
                    self._handed = True
                    self._state.notify_all()
                else:
                    fcntl.flock(self.fd, fcntl.LOCK_UN)  # before `_in_the_kernel` says so (see `lock`)
                self._in_the_kernel = False

    def forget_after_fork(self) -> None:
        # The child's copy of the parent's open file: closing it leaves the parent's flock alone
        # (an unlock would drop it). The parent's thread is not the child's.
        os.close(self.fd)


def _start_afresh_in_a_forked_child() -> None:
    global _QUEUES_LOCK
    _QUEUES_LOCK = threading.Lock()
    for queue in _QUEUES.values():
        if queue._file is not None:
            queue._file.forget_after_fork()
        queue._start_afresh()


os.register_at_fork(after_in_child=_start_afresh_in_a_forked_child)
