"""Supervised background loops: one failure never silently stops another.

A loop is a function ``run(stop)`` that works until the ``stop`` event is set (the
scheduler, the command dispatcher, the MQTT ingest). The supervisor runs each in a
thread of its own. When a loop raises, or returns although nobody asked it to stop, the
supervisor logs it with its traceback and runs it again after a back-off that doubles
from ``initial_backoff_s`` up to ``max_backoff_s``; a loop that had run for
``healthy_after_s`` before failing starts again from the initial back-off. ``states()``
tells operators how each loop is doing (``GET /api/v1/health``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from .clock import format_instant, now_ms

log = logging.getLogger("beffroi.supervisor")

LoopFunction = Callable[[threading.Event], None]
Status = Literal["starting", "running", "restarting", "stopped"]


@dataclass(frozen=True)
class LoopState:
    """What operators see of one loop."""

    name: str
    status: Status = "starting"
    restarts: int = 0  # times the loop was started again after a failure
    backoff_s: float = 0.0  # the wait before the latest restart
    started_at: int | None = None  # epoch ms of the latest (re)start
    last_error: str | None = None
    last_error_at: int | None = None

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        out["started_at"] = format_instant(self.started_at)
        out["last_error_at"] = format_instant(self.last_error_at)
        return out


class Supervisor:
    """Run named loops in threads; restart the ones that fail, with capped back-off."""

    def __init__(self, *, initial_backoff_s: float = 1.0, max_backoff_s: float = 60.0,
                 healthy_after_s: float = 60.0) -> None:
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self.healthy_after_s = healthy_after_s
        self.stopping = threading.Event()  # set by stop(); every loop watches it
        self._loops: dict[str, LoopFunction] = {}
        self._states: dict[str, LoopState] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def add(self, name: str, run: LoopFunction) -> None:
        if name in self._loops:
            raise ValueError(f"loop {name!r} already added")
        self._loops[name] = run
        self._states[name] = LoopState(name)

    def start(self) -> None:
        for name, run in self._loops.items():
            thread = threading.Thread(target=self._supervise, args=(name, run),
                                      name=f"beffroi-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask every loop to stop and wait for them (at most ``timeout_s`` in all)."""
        self.stopping.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def states(self) -> list[LoopState]:
        with self._lock:
            return list(self._states.values())

    def state(self, name: str) -> LoopState:
        with self._lock:
            return self._states[name]

    def _set(self, name: str, **changes: Any) -> LoopState:
        with self._lock:
            self._states[name] = replace(self._states[name], **changes)
            return self._states[name]

    def _supervise(self, name: str, run: LoopFunction) -> None:
        backoff = self.initial_backoff_s
        while not self.stopping.is_set():
            started = time.monotonic()
            self._set(name, status="running", started_at=now_ms())
            try:
                run(self.stopping)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
                log.exception("loop %s failed", name)
            else:
                if self.stopping.is_set():
                    break
                error = "returned without being asked to stop"
                log.error("loop %s %s", name, error)
            if time.monotonic() - started >= self.healthy_after_s:
                backoff = self.initial_backoff_s  # it had been healthy: a fresh failure
            state = self._set(name, status="restarting", restarts=self._states[name].restarts + 1,
                              backoff_s=backoff, last_error=error, last_error_at=now_ms())
            log.warning("loop %s restarts in %.1f s (restart %d)", name, backoff, state.restarts)
            if self.stopping.wait(backoff):
                break
            backoff = min(backoff * 2, self.max_backoff_s)
        self._set(name, status="stopped")
