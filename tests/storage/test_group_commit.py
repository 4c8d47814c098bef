"""The group writer: whatever waits is committed in one transaction, each write answered
after the commit with its own result; a failing group is retried write by write."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from beffroi.storage import group_commit
from beffroi.storage.group_commit import WriterClosed

TIMEOUT = 30


def note_kind(db, conn, payloads):
    """Test kind: each payload a (key, value) stored in id_counters (a table of every
    backend), or a refusal when the value is negative; raises on value 666."""
    out = []
    for key, value in payloads:
        if value == 666:
            raise RuntimeError("valeur maudite")
        if value < 0:
            out.append(ValueError(f"{key} : valeur négative"))
            continue
        conn.execute(text("INSERT INTO id_counters (name, next_value) VALUES (:n, :v)"),
                     {"n": f"test:{key}", "v": value})
        out.append({"key": key, "stored": value})
    return out


def stored(db) -> dict[str, int]:
    with db.read() as conn:
        return {name[5:]: value for name, value in conn.execute(text(
            "SELECT name, next_value FROM id_counters WHERE name LIKE 'test:%'"))}


class Gate:
    """A kind that holds the writer inside its transaction until opened."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()

    def __call__(self, db, conn, payloads):
        self.entered.set()
        assert self.opened.wait(TIMEOUT)
        return [None] * len(payloads)


def hold_writer(db) -> tuple[Gate, object]:
    gate = Gate()
    future = db.group_commit.submit(gate, "gate")
    assert gate.entered.wait(TIMEOUT)
    return gate, future


def test_waiting_writes_share_one_transaction_and_each_gets_its_result(db):
    before = db.group_commit.transactions
    gate, held = hold_writer(db)
    futures = [db.group_commit.submit(note_kind, (f"k{i}", i)) for i in range(20)]
    assert not any(f.done() for f in futures)  # nothing answered before its commit
    gate.opened.set()
    assert [f.result(TIMEOUT) for f in futures] == [{"key": f"k{i}", "stored": i}
                                                    for i in range(20)]
    held.result(TIMEOUT)
    # the held write's transaction, then ONE for the twenty that waited
    assert db.group_commit.transactions - before == 2
    assert stored(db) == {f"k{i}": i for i in range(20)}


def test_a_refused_write_gets_its_error_alone_and_writes_nothing(db):
    gate, _ = hold_writer(db)
    good = db.group_commit.submit(note_kind, ("a", 1))
    bad = db.group_commit.submit(note_kind, ("b", -1))
    other = db.group_commit.submit(note_kind, ("c", 3))
    gate.opened.set()
    assert good.result(TIMEOUT) == {"key": "a", "stored": 1}
    assert other.result(TIMEOUT) == {"key": "c", "stored": 3}
    with pytest.raises(ValueError, match="b : valeur négative"):
        bad.result(TIMEOUT)
    assert stored(db) == {"a": 1, "c": 3}


def test_a_group_that_fails_is_retried_write_by_write_and_only_the_culprit_fails(db):
    gate, _ = hold_writer(db)
    before = [db.group_commit.submit(note_kind, (f"k{i}", i)) for i in range(3)]
    culprit = db.group_commit.submit(note_kind, ("x", 666))
    after = [db.group_commit.submit(note_kind, (f"k{i}", i)) for i in range(3, 6)]
    gate.opened.set()
    with pytest.raises(RuntimeError, match="valeur maudite"):
        culprit.result(TIMEOUT)
    assert [f.result(TIMEOUT)["stored"] for f in before + after] == list(range(6))
    assert stored(db) == {f"k{i}": i for i in range(6)}


def test_a_failed_commit_answers_an_error_and_acknowledges_nothing(db, monkeypatch):
    """The commit itself fails (disk full, server gone): every write of the group gets the
    error, none is acknowledged, nothing is stored."""
    from sqlalchemy import event

    def refuse(conn):
        if threading.current_thread().name == "beffroi-group-commit":
            raise OSError("disque plein")

    event.listen(db.engine, "commit", refuse)
    try:
        futures = [db.group_commit.submit(note_kind, (f"k{i}", i)) for i in range(5)]
        for future in futures:
            with pytest.raises(OSError, match="disque plein"):
                future.result(TIMEOUT)
    finally:
        event.remove(db.engine, "commit", refuse)
    assert stored(db) == {}
    # the writer goes on once the database accepts commits again
    assert db.group_commit.run(note_kind, ("après", 7), TIMEOUT) == {"key": "après", "stored": 7}


def test_a_closed_writer_finishes_what_waits_and_takes_nothing_more(db):
    gate, _ = hold_writer(db)
    waiting = db.group_commit.submit(note_kind, ("dernier", 1))
    closing = threading.Thread(target=db.group_commit.close)
    closing.start()
    gate.opened.set()
    closing.join(TIMEOUT)
    assert waiting.result(TIMEOUT) == {"key": "dernier", "stored": 1}
    with pytest.raises(WriterClosed):
        db.group_commit.submit(note_kind, ("trop tard", 2))


def test_a_writer_killed_before_its_commit_answers_an_error_and_a_new_one_takes_over(
        db, monkeypatch):
    """The writer thread dies (an interruption escapes its loop) with writes taken and
    others waiting: none is acknowledged, each gets an error instead of waiting forever,
    nothing is stored, and the next write starts a new writer."""
    gate, _ = hold_writer(db)
    taken = db.group_commit.submit(note_kind, ("pris", 1))
    run = db.group_commit._run

    def killed(writes):
        if any(w.payload[0] == "pris" for w in writes):
            raise SystemExit("arrêt du processus")
        run(writes)

    monkeypatch.setattr(db.group_commit, "_run", killed)
    gate.opened.set()
    with pytest.raises(RuntimeError, match="écriture interrompue"):
        taken.result(TIMEOUT)
    monkeypatch.setattr(db.group_commit, "_run", run)
    assert stored(db) == {}
    assert db.group_commit.run(note_kind, ("ensuite", 2), TIMEOUT) == {"key": "ensuite",
                                                                      "stored": 2}
    assert stored(db) == {"ensuite": 2}


def test_a_write_sent_while_the_killed_writer_is_still_ending_is_taken_by_a_new_one(
        db, monkeypatch):
    """The dying writer answers its callers first, then ends: a caller that writes again
    at once, before it has ended, is not left waiting (its write was queued to a writer on
    its way out; the next one takes it)."""
    gate, _ = hold_writer(db)
    taken = db.group_commit.submit(note_kind, ("pris", 1))
    run, release = db.group_commit._run, db.group_commit._release
    again = threading.Event()

    def killed(writes):
        if any(w.payload[0] == "pris" for w in writes):
            raise SystemExit("arrêt du processus")
        run(writes)

    def ending():  # the dying writer's last steps wait for the caller's new write
        if threading.current_thread().name.startswith("beffroi-group"):
            again.wait(TIMEOUT)
        release()

    monkeypatch.setattr(db.group_commit, "_run", killed)
    monkeypatch.setattr(db.group_commit, "_release", ending)
    gate.opened.set()
    with pytest.raises(RuntimeError, match="écriture interrompue"):
        taken.result(TIMEOUT)
    monkeypatch.setattr(db.group_commit, "_run", run)
    written = db.group_commit.submit(note_kind, ("aussitôt", 3))
    again.set()
    assert written.result(TIMEOUT) == {"key": "aussitôt", "stored": 3}
    assert stored(db) == {"aussitôt": 3}


def test_an_interruption_inside_a_transaction_fails_its_write_alone(db):
    def interrupted(db, conn, payloads):
        conn.execute(text("INSERT INTO id_counters (name, next_value) VALUES ('test:x', 1)"))
        raise KeyboardInterrupt

    with pytest.raises(RuntimeError, match="écriture interrompue"):
        db.group_commit.run(interrupted, None, TIMEOUT)
    assert stored(db) == {}
    assert db.group_commit.run(note_kind, ("après", 3), TIMEOUT)["stored"] == 3


def _backend(db, conn, payloads):
    """Test kind: the identity of the connection it runs on."""
    if db.is_sqlite:
        ident = id(conn.connection.dbapi_connection)
    else:
        ident = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    return [ident] * len(payloads)


def test_the_writer_keeps_its_connection_and_hands_back_an_idle_one(db, monkeypatch):
    """From one group to the next the writer reuses its connection (no pool checkout, no
    liveness ping); once idle longer than KEEP_IDLE_S it is handed back and the pool checks
    the next one: a connection killed while Beffroi was quiet costs no write."""
    from sqlalchemy import event

    first = db.group_commit.run(_backend, None, TIMEOUT)
    checkouts = []

    def checkout(*args):
        checkouts.append(args)

    event.listen(db.engine, "checkout", checkout)
    try:
        assert db.group_commit.run(_backend, None, TIMEOUT) == first
    finally:
        event.remove(db.engine, "checkout", checkout)
    assert checkouts == []  # the same connection, not taken from the pool again
    if not db.is_sqlite:
        with db.read() as conn:
            assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({first})").scalar()
    monkeypatch.setattr(group_commit, "KEEP_IDLE_S", 0.0)
    time.sleep(0.05)
    assert db.group_commit.run(note_kind, ("après", 4), TIMEOUT) == {"key": "après", "stored": 4}
    if not db.is_sqlite:
        assert db.group_commit.run(_backend, None, TIMEOUT) != first
    assert stored(db) == {"après": 4}


def test_the_tokens_of_the_requests_waiting_are_looked_up_together(db, operator):
    """The group reader (PostgreSQL: every request's token) answers each waiting request
    with its own principal, or its own refusal, from ONE query."""
    from sqlalchemy import event

    from beffroi.core import auth
    from beffroi.core.errors import Unauthorized

    with db.write() as conn:
        user_id = conn.exec_driver_sql("SELECT id FROM users").scalar()
        _, good = auth.issue_token(db, conn, "personal", user_id=user_id)
    statements = []

    def count(conn, cursor, statement, *_):
        if threading.current_thread().name == "beffroi-group-read":
            statements.append(statement)

    gate = Gate()
    held = db.group_read.submit(gate, "gate")
    assert gate.entered.wait(TIMEOUT)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        futures = [db.group_read.submit(auth.principals_for_tokens, secret)
                   for secret in (good, "bfp_" + "0" * 40, good)]
        gate.opened.set()
        held.result(TIMEOUT)
        first, refused, again = (f.exception(TIMEOUT) or f.result() for f in futures)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert first.user_id == again.user_id == user_id and first.is_operator_admin
    assert isinstance(refused, Unauthorized)
    assert len(statements) == 1 and "token_hash IN" in statements[0]
