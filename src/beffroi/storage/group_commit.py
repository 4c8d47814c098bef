"""Group commit: concurrent small writes share one transaction.

A network server posts one uplink per request and many sensors post one reading at a time:
committing each alone costs a transaction per message (on SQLite, the write lock and the
WAL append; on PostgreSQL, a commit round trip and a WAL flush). Here one writer thread per
``Database`` (so per process) takes every write waiting in its queue, runs them all in ONE
transaction, commits, and only then resolves each write's future: a caller is answered
after its data is durable, never before.

A write is a *payload* handed to a *kind*: a plain function ``kind(db, conn, payloads) ->
results`` that stores many payloads of its sort at once (one insert, one rollup update, one
rule evaluation for the whole group) and returns one result per payload, in order. A kind
refuses one payload by returning an exception in its place, having written nothing for it;
the other payloads are unaffected. If anything raises instead (a kind, the commit), the
transaction is rolled back and each write of it is run again alone in its own transaction,
so that the culprit alone gets the error.

Several processes may each have a writer: each transaction takes the same locks as a
direct write (the SQLite write lock, PostgreSQL row locks), so they stay correct together.

The same mechanism, reading (``reading=True``: ``Database.group_read``), serves a read that
every request makes on PostgreSQL, where each query is a round trip: the callers' tokens,
looked up in one query for all the requests waiting.

The thread keeps its own connection from one group to the next (no pool checkout, and on
PostgreSQL no liveness ping, per group); the reader's runs in autocommit, so that its
query is its only round trip. After a failed transaction the connection goes back to the
pool, and so does a connection left idle for ``KEEP_IDLE_S``: the pool checks a connection
before handing it out again (a server restarted while Beffroi was quiet costs nothing).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

if TYPE_CHECKING:
    from .database import Database

log = logging.getLogger("beffroi.group_commit")

Kind = Callable[["Database", Connection, Sequence[Any]], Sequence[Any]]
KEEP_IDLE_S = 5.0  # a connection idle longer is checked by the pool before the next group
MAX_WRITES = 500  # per transaction: bounds the latency a large group adds to its first write


class WriterClosed(RuntimeError):
    """The database is closing: no more writes are taken."""


class _Write:
    __slots__ = ("kind", "payload", "future")

    def __init__(self, kind: Kind, payload: Any) -> None:
        self.kind = kind
        self.payload = payload
        self.future: Future = Future()


class GroupCommit:
    """The writer of one database: ``submit`` a payload, wait on the future it returns."""

    def __init__(self, db: Database, max_writes: int = MAX_WRITES, *,
                 reading: bool = False) -> None:
        self.db = db
        self.max_writes = max_writes
        self.reading = reading
        self._waiting: deque[_Write] = deque()
        self._ready = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._closed = False
        self._conn: Connection | None = None  # the thread's, kept between groups
        self._used_at = 0.0  # monotonic time of its last group
        self.transactions = 0  # committed, for measurements and tests
        self.writes = 0

    def submit(self, kind: Kind, payload: Any) -> Future:
        """Queue one write; the future gets ``kind``'s result for it after the commit (or
        the exception that refused it)."""
        write = _Write(kind, payload)
        with self._ready:
            if self._closed:
                raise WriterClosed("base de données en cours de fermeture")
            self._waiting.append(write)
            if self._thread is None:
                self._start()
            self._ready.notify()
        return write.future

    def _start(self) -> None:
        """A new writer thread (``_ready`` held)."""
        self._thread = threading.Thread(
            target=self._loop, daemon=True,
            name="beffroi-group-read" if self.reading else "beffroi-group-commit")
        self._thread.start()

    def run(self, kind: Kind, payload: Any, timeout: float | None = None) -> Any:
        """Submit and wait (for callers that are threads themselves)."""
        return self.submit(kind, payload).result(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Finish the writes already queued, then stop the writer."""
        with self._ready:
            self._closed = True
            self._ready.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # -- the writer thread ---------------------------------------------------------------
    def _loop(self) -> None:
        writes: list[_Write] = []
        try:
            while True:
                with self._ready:
                    while not self._waiting and not self._closed:
                        self._ready.wait()
                    if not self._waiting:
                        return
                    count = min(len(self._waiting), self.max_writes)
                    writes = [self._waiting.popleft() for _ in range(count)]
                self._run(writes)
                writes = []
        except BaseException as exc:  # never leave a caller waiting for an answer
            log.exception("group writer stopped")
            with self._ready:
                orphans = writes + list(self._waiting)
                self._waiting.clear()
            for write in orphans:
                if not write.future.done():
                    write.future.set_exception(RuntimeError(f"écriture interrompue : {exc!r}"))
        finally:
            self._release()
            with self._ready:
                if self._thread is threading.current_thread():
                    self._thread = None  # the next write starts a new writer…
                    if self._waiting:  # …or one queued while this one was dying (its
                        self._start()  # callers, answered first, may already write again)

    def _connection(self) -> Connection:
        if self._conn is not None and time.monotonic() - self._used_at > KEEP_IDLE_S:
            self._release()
        self._used_at = time.monotonic()
        if self._conn is None:
            conn = self.db.engine.connect()
            self._conn = (conn.execution_options(isolation_level="AUTOCOMMIT")
                          if self.reading and not self.db.is_sqlite else conn)
        return self._conn

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # a broken connection: the pool discards it
                log.debug("group writer: closing its connection failed", exc_info=True)

    def _run(self, writes: list[_Write]) -> None:
        try:
            conn = self._connection()
            if self.reading:
                results = _apply(self.db, conn, writes)
                if conn.in_transaction():  # SQLite (no autocommit): end the read
                    conn.rollback()
            else:
                with self.db.transaction_on(conn):
                    results = _apply(self.db, conn, writes)
        except BaseException as exc:  # the transaction was rolled back
            self._release()
            if len(writes) == 1:
                if not isinstance(exc, Exception):
                    exc = RuntimeError(f"écriture interrompue : {exc!r}")
                writes[0].future.set_exception(exc)
                return
            log.warning("group of %d writes failed (%s): each is retried alone",
                        len(writes), str(exc).splitlines()[0][:200] if str(exc) else repr(exc))
            for write in writes:
                self._run([write])
            return
        self.transactions += 1
        self.writes += len(writes)
        for write, result in zip(writes, results, strict=True):
            if isinstance(result, BaseException):
                write.future.set_exception(result)
            else:
                write.future.set_result(result)


def _apply(db: Database, conn: Connection, writes: list[_Write]) -> list[Any]:
    """Each kind's writes handed over together; results in the writes' order."""
    by_kind: dict[Kind, list[int]] = {}
    for index, write in enumerate(writes):
        by_kind.setdefault(write.kind, []).append(index)
    results: list[Any] = [None] * len(writes)
    for kind, indexes in by_kind.items():
        out = kind(db, conn, [writes[i].payload for i in indexes])
        if len(out) != len(indexes):
            raise RuntimeError(f"{kind.__qualname__}: {len(out)} results for "
                               f"{len(indexes)} writes")
        for i, result in zip(indexes, out, strict=True):
            results[i] = result
    return results
