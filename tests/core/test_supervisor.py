"""Supervised loops: a failing loop is logged and restarted with capped exponential back-off,
the back-off starts again after a healthy period, and one loop never stops another."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from beffroi.core.supervisor import Supervisor


def wait_for(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


class Flaky:
    """A loop that fails ``failures`` times (after running ``run_s`` seconds each time for
    the calls listed in ``long_runs``), then works until asked to stop."""

    def __init__(self, supervisor: Supervisor, name: str, failures: int,
                 long_runs: dict[int, float] | None = None) -> None:
        self.supervisor, self.name, self.failures = supervisor, name, failures
        self.long_runs = long_runs or {}
        self.calls: list[float] = []  # monotonic time of each start
        self.backoffs: list[float] = []  # the back-off the supervisor reported before it
        self.settled = threading.Event()

    def __call__(self, stop: threading.Event) -> None:
        self.calls.append(time.monotonic())
        call = len(self.calls)
        if call > 1:
            self.backoffs.append(self.supervisor.state(self.name).backoff_s)
        if call <= self.failures:
            time.sleep(self.long_runs.get(call, 0))
            raise RuntimeError(f"panne {call}")
        self.settled.set()
        stop.wait()


@pytest.fixture
def supervisor():
    s = Supervisor(initial_backoff_s=0.02, max_backoff_s=0.08, healthy_after_s=30)
    yield s
    s.stop()


def test_a_failing_loop_is_logged_and_restarted_with_growing_capped_backoff(supervisor, caplog):
    flaky = Flaky(supervisor, "flaky", failures=5)
    supervisor.add("flaky", flaky)
    with caplog.at_level(logging.WARNING, logger="beffroi.supervisor"):
        supervisor.start()
        assert flaky.settled.wait(10)
    assert flaky.backoffs == [0.02, 0.04, 0.08, 0.08, 0.08]  # doubled, then capped
    gaps = [b - a for a, b in zip(flaky.calls, flaky.calls[1:], strict=False)]
    assert all(gap >= backoff for gap, backoff in zip(gaps, flaky.backoffs, strict=True))
    state = supervisor.state("flaky")
    assert (state.status, state.restarts, state.last_error) == ("running", 5,
                                                                 "RuntimeError: panne 5")
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failures] == ["loop flaky failed"] * 5
    assert [str(r.exc_info[1]) for r in failures] == [f"panne {i}" for i in range(1, 6)]
    assert sum("restarts in" in r.getMessage() for r in caplog.records) == 5


def test_the_backoff_starts_again_after_a_healthy_period():
    supervisor = Supervisor(initial_backoff_s=0.02, max_backoff_s=1, healthy_after_s=0.2)
    flaky = Flaky(supervisor, "flaky", failures=4, long_runs={3: 0.3})
    supervisor.add("flaky", flaky)
    supervisor.start()
    try:
        assert flaky.settled.wait(10)
    finally:
        supervisor.stop()
    # Calls 1 and 2 fail at once (0.02, then 0.04); call 3 ran 0.3 s > 0.2 s before failing:
    # back to 0.02; call 4 fails at once again: 0.04.
    assert flaky.backoffs == [0.02, 0.04, 0.02, 0.04]


def test_a_loop_that_returns_is_restarted_and_never_stops_the_others(supervisor, caplog):
    ticks: list[float] = []

    def steady(stop: threading.Event) -> None:
        while not stop.wait(0.01):
            ticks.append(time.monotonic())

    returns = []

    def quitter(stop: threading.Event) -> None:
        returns.append(1)  # ends at once, although nobody asked it to

    supervisor.add("steady", steady)
    supervisor.add("quitter", quitter)
    supervisor.start()
    wait_for(lambda: len(returns) >= 4, what="the quitter to be restarted")
    before = len(ticks)
    wait_for(lambda: len(ticks) > before + 3, what="the steady loop to keep going")
    quitter_state, steady_state = supervisor.state("quitter"), supervisor.state("steady")
    assert quitter_state.restarts >= 3
    assert quitter_state.last_error == "returned without being asked to stop"
    assert (steady_state.status, steady_state.restarts, steady_state.last_error) == (
        "running", 0, None)
    supervisor.stop()
    assert {s.name: s.status for s in supervisor.states()} == {"steady": "stopped",
                                                                "quitter": "stopped"}
    count = len(ticks)
    time.sleep(0.05)
    assert len(ticks) == count  # stopped for good


def test_stop_interrupts_a_pending_restart():
    supervisor = Supervisor(initial_backoff_s=30)  # a long wait before the restart
    calls = []

    def broken(stop: threading.Event) -> None:
        calls.append(1)
        raise ValueError("cassé")

    supervisor.add("broken", broken)
    supervisor.start()
    wait_for(lambda: supervisor.state("broken").status == "restarting")
    started = time.monotonic()
    supervisor.stop()
    assert time.monotonic() - started < 5
    assert supervisor.state("broken").status == "stopped" and calls == [1]
