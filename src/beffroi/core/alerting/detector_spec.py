"""What a domain declares to detect problems: ``Detector`` (run by the scheduler), the
``Finding`` objects it returns, the ``DetectorContext`` it receives, the ``DetailField``
declarations of its findings' details, and the ``FollowUpStep`` people record on its alerts
(search, repair…: ``interventions.py``).

Declarations only, light to import (``beffroi.plugin`` re-exports them): running detectors
is ``detectors.py``, writing details in French is ``details.py``. The registry checks every
declaration once, at start (``core.registration``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from ...storage.database import Database
    from ..access import TenantScope
    from ..registry import Registry

DetailKind = Literal["number", "percent", "instant", "date", "duration", "choice", "metric",
                     "state", "text", "list", "position"]
DETAIL_KINDS: tuple[str, ...] = ("number", "percent", "instant", "date", "duration", "choice",
                                 "metric", "state", "text", "list", "position")
# The kinds people can type in a follow-up step's form ("position": {"lon": …, "lat": …}).
INPUT_KINDS: tuple[str, ...] = ("number", "percent", "instant", "date", "choice", "text",
                                "position")


@dataclass(frozen=True)
class DetailField:
    """One detail key of the alerts a detector or a rule raises."""

    key: str
    label: str  # French
    kind: DetailKind = "number"
    unit: str | None = None  # UCUM
    unit_from: str | None = None  # key of the detail that holds the unit (rules: "unit")
    digits: int = 2
    choices: Mapping[str, str] = field(default_factory=dict)  # kind "choice": code -> French
    shown: bool = True  # False: folded into others (a rule's "unit" goes with its values)
    # Fields people enter (a ``FollowUpStep``'s): must they, and the bounds of a number.
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None

    def public(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "kind": self.kind, "unit": self.unit,
                "unit_from": self.unit_from, "digits": self.digits,
                "choices": dict(self.choices) or None, "shown": self.shown}

    def input_public(self) -> dict[str, Any]:
        """As a form builds its input: with whether it is required and its bounds."""
        return {**self.public(), "required": self.required, "minimum": self.minimum,
                "maximum": self.maximum}


@dataclass(frozen=True)
class FollowUpStep:
    """One step people record on an alert of a detector (« fuite localisée », « réparée »),
    with the fields they fill in; a ``final`` step closes the follow-up (the repair) and may
    be recorded after the alert is resolved."""

    key: str  # lowercase, unique within the detector: "located"
    label: str  # French
    fields: tuple[DetailField, ...] = ()  # kinds among INPUT_KINDS
    final: bool = False

    def public(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "final": self.final,
                "fields": [f.input_public() for f in self.fields]}


@dataclass(frozen=True)
class Finding:
    """A problem a detector sees now."""

    asset_id: int | None
    title: str  # French
    severity: str = "warning"
    subject: str = ""  # tells apart several findings on one asset
    details: dict[str, Any] = field(default_factory=dict)
    at: int | None = None  # time of the data that shows it (default: the run time)
    # The problem is over, and these are its final details: its active alert, if any, is
    # resolved with them (a leak's water lost up to its repair); never raises an alert.
    ended: bool = False


@dataclass(frozen=True)
class DetectorContext:
    """What a detector run may use: a read-only view of one tenant."""

    db: Database
    conn: Connection
    scope: TenantScope
    registry: Registry
    now: int  # ms

    @property
    def tenant_id(self) -> int:
        return self.scope.tenant_id


@dataclass(frozen=True)
class Detector:
    """A periodic analysis of a domain (``Domain.detectors``), see ``detectors.py``."""

    key: str  # dotted with its domain: "water.night_flow_leak"
    label: str  # French
    interval_s: int
    run: Callable[[DetectorContext], Iterable[Finding]]
    renotify_after_s: int = 86_400
    details: tuple[DetailField, ...] = ()  # every key its findings' details may hold
    metrics: tuple[str, ...] = ()  # the metrics it reads (checked to exist at start)
    follow_up: tuple[FollowUpStep, ...] = ()  # steps people record on its alerts
    # (detail key, value): people are told when an active alert's detail turns to that value
    # (a repair the following nights refute…), as when it opens; other updates stay quiet.
    notify_on: tuple[tuple[str, str], ...] = ()
