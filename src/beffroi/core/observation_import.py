"""Observation histories imported from files: the readings a territory kept in the tools it
used before Beffroi (a supervisory system's export, a supplier's load curve, a
spreadsheet), or the ``observations.csv`` another instance exported (``beffroi export``).

A row names its equipment by reference and its measure by metric key, never by a stream
id (an instance's own): columns ``asset_ref`` (or ``ref``), ``metric``, ``time``,
``value``, and ``quality`` (``good``, ``suspect``, ``bad``) optional; a ``stream_id``
column is accepted beside them and ignored (an export's, meaningless here). The file is
read by ``textfiles`` (encoding, separator, strict CSV); a value may take a decimal comma;
a time is ISO 8601 with an offset or a wall-clock time of the territory
(``clock.parse_written_time``).

Two steps, like the inventory import. ``check_history`` reads the whole file and judges
every line by the ingest's own rules (``observations``: the metric's plausible range and
states, the quality, no instant more than a few minutes ahead nor before the tenant's
retention) and by those of a file: the equipment known to the territory, the metric to the
registry, no instant before ``clock.EARLIEST_DAY`` (a year mistyped), one value per
instant. It keeps the valid rows in compact arrays (about 25 bytes a row), not the file.
``write_history`` then stores them — all of them, or with ``partial`` the valid ones when
lines were refused — sorted by stream and time, in transactions of ``CHUNK_ROWS`` rows so
that the SQLite writer is never held long, creating the streams missing
(``streams.ensure_stream``), through ``observations.store_history``: idempotent on
(stream, time), so a second import of a file stores nothing and says so.
"""

from __future__ import annotations

import difflib
import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, select

from ..storage import schema
from ..storage.database import Database
from . import observations, textfiles
from .access import Principal, TenantScope, open_scope
from .clock import EARLIEST_DAY, format_instant, midnight_ms, now_ms, parse_written_time
from .errors import Invalid
from .french_format import local_date
from .quality import QUALITY
from .registry import Registry
from .streams import ensure_stream

CHUNK_ROWS = 10_000
REQUIRED = ("asset_ref", "metric", "time", "value")
OPTIONAL = ("quality", "stream_id")
ALIASES = {"ref": "asset_ref", "asset": "asset_ref"}  # the inventory's, the API's
EXPECTED = "asset_ref (ou ref, asset), metric, time, value, quality facultative"
KEPT_ERRORS = 1_000  # refused lines described in the report; all are counted
_TIME_CACHE = 100_000  # distinct time texts remembered (the same instants for many streams)
_PROGRESS_STEP = 1_000  # lines read between two advances of ``progress``


@dataclass(frozen=True)
class LineError:
    """A refused line: where (its line in the file, the column as its header names it,
    "" for the whole line), the cell as typed, and why, in French."""

    line: int
    column: str
    value: str
    message: str


@dataclass
class HistoryFile:
    """A history file whose header was read and checked (``read_history``)."""

    csv: textfiles.CsvFile
    headers: dict[str, str]  # column -> its name as the header writes it (« ref »)


@dataclass
class HistoryReport:
    read: int = 0  # data lines
    refused: int = 0  # lines refused (each has one or more errors)
    errors: list[LineError] = field(default_factory=list)  # the first ``KEPT_ERRORS``
    error_count: int = 0  # all of them
    stored: int = 0  # readings written
    already: int = 0  # valid readings already stored, or repeating a line of the file
    streams_created: int = 0  # streams missing that the import creates (or would create)
    written: bool = False
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def valid(self) -> int:
        return self.read - self.refused


@dataclass
class CheckedHistory:
    """A checked file: its report and its valid rows, sorted by stream and time, ready to
    be written (``write_history``)."""

    report: HistoryReport
    tenant_id: int
    streams: list[tuple[int, str, int | None]]  # by key: asset id, metric, stream id or None
    key: np.ndarray  # int32, index into ``streams``
    t: np.ndarray  # int64 epoch ms
    value: np.ndarray  # float64
    quality: np.ndarray  # int8
    refs: dict[int, str] = field(default_factory=dict)  # asset id -> ref, of those named

    def to_write(self, partial: bool) -> int:
        """The rows ``write_history`` stores: none when a line was refused, unless
        ``partial``."""
        return 0 if self.report.refused and not partial else len(self.t)

    def series(self, registry: Registry) -> list[dict[str, Any]]:
        """What the valid rows cover, one item per equipment and metric (by reference, then
        metric): how many readings, the first and last instants (UTC, ISO 8601), whether
        the stream is new."""
        out = []
        keys, starts, counts = np.unique(self.key, return_index=True, return_counts=True)
        for k, start, count in zip(keys.tolist(), starts.tolist(), counts.tolist(), strict=True):
            asset_id, metric, stream_id = self.streams[k]
            spec = registry.metrics.get(metric)
            out.append({"asset_id": asset_id, "asset_ref": self.refs.get(asset_id, ""),
                        "metric": metric, "label": spec.label if spec else metric,
                        "unit": spec.unit if spec else "", "count": count,
                        "start": format_instant(int(self.t[start])),
                        "end": format_instant(int(self.t[start + count - 1])),
                        "new_stream": stream_id is None})
        return sorted(out, key=lambda s: (s["asset_ref"], s["metric"]))

    def as_dict(self, registry: Registry) -> dict[str, Any]:
        """The report as the API gives it: the counts of ``HistoryReport``, the refused lines
        kept (line, column as the header names it, cell, French reason), the period the
        valid rows cover and each equipment and metric's share (``series``)."""
        r = self.report
        return {"read": r.read, "valid": r.valid, "refused": r.refused,
                "error_count": r.error_count, "stored": r.stored, "already": r.already,
                "streams_created": r.streams_created, "written": r.written,
                "encoding": r.encoding, "warnings": r.warnings,
                "errors": [{"line": e.line, "column": e.column, "value": e.value,
                            "message": e.message} for e in r.errors],
                "period": ({"start": format_instant(int(self.t.min())),
                            "end": format_instant(int(self.t.max()))} if len(self.t) else None),
                "series": self.series(registry)}


def _column(typed: dict[str, str]) -> Callable[[str], str]:
    def rename(name: str) -> str:
        key = ALIASES.get(name.lower(), name.lower())
        typed.setdefault(key, name)
        return key
    return rename


def read_history(raw: bytes) -> HistoryFile:
    """The file decoded and its header checked; Invalid in French (one sentence) when the
    file cannot be used at all."""
    typed: dict[str, str] = {}
    source = textfiles.decode(raw)
    file = textfiles.open_csv(source, rename=_column(typed))
    columns = set(file.columns) - {""}
    unknown = sorted((typed[c] for c in columns - {*REQUIRED, *OPTIONAL}), key=str.lower)
    if unknown:
        raise Invalid(f"En-tête CSV : colonne inconnue « {unknown[0]} » (attendues : "
                      f"{EXPECTED} ; stream_id acceptée et ignorée).")
    missing = [c for c in REQUIRED if c not in columns]
    if "stream_id" in columns and {"asset_ref", "metric"} & set(missing):
        raise Invalid("En-tête CSV : « stream_id » désigne un flux de l'instance d'où vient le "
                      "fichier, inconnu ici ; il faut aussi les colonnes asset_ref (référence "
                      "de l'équipement) et metric (clé de la mesure), comme dans le fichier "
                      "observations.csv de « beffroi export ».")
    if missing:
        raise Invalid(f"En-tête CSV : colonne{'s' if len(missing) > 1 else ''} "
                      f"{', '.join(missing)} manquante{'s' if len(missing) > 1 else ''} "
                      f"(attendues : {EXPECTED}).")
    return HistoryFile(file, {c: typed[c] for c in columns})


def check_history(scope: TenantScope, conn: Connection, registry: Registry,
                  history: HistoryFile, *, now: int | None = None,
                  progress: Callable[[int], None] | None = None) -> CheckedHistory:
    """Judge every line of the file (see the module); nothing is written. ``progress``
    is advanced by the file's lines as they are read (``CsvFile.line_count`` in all).
    Invalid when the file holds no data line."""
    scope.require("write")
    rules = _Rules.of(scope, conn, registry, history.headers,
                      now_ms() if now is None else now)
    report = HistoryReport(encoding=history.csv.encoding, warnings=list(history.csv.warnings))
    keys: dict[tuple[int, str], int] = {}
    key_of, t_of, value_of = array("i"), array("q"), array("d")
    quality_of, line_of = array("b"), array("q")
    seen_line, pending = history.csv.header_line, 0
    for record in history.csv.records():
        report.read += 1
        if progress:
            pending += record.line - seen_line
            seen_line = record.line
            if pending >= _PROGRESS_STEP:
                progress(pending)
                pending = 0
        judged = (rules.judge(record.line, record.values) if record.values is not None
                  else [LineError(record.line, "", "", record.problem or "ligne illisible")])
        if isinstance(judged, list):
            report.refused += 1
            for error in judged:
                _add_error(report, error)
            continue
        asset_id, metric, t, value, quality = judged
        key_of.append(keys.setdefault((asset_id, metric), len(keys)))
        t_of.append(t)
        value_of.append(value)
        quality_of.append(quality)
        line_of.append(record.line)
    if progress:
        progress(pending + history.csv.header_line + history.csv.line_count - seen_line)
    if not report.read:
        raise Invalid("Fichier sans aucune ligne de données (seulement l'en-tête).")
    streams = [(asset_id, metric, rules.streams.get((asset_id, metric)))
               for asset_id, metric in keys]
    checked = CheckedHistory(report, scope.tenant_id, streams,
                             np.frombuffer(key_of, dtype=np.int32),
                             np.frombuffer(t_of, dtype=np.int64),
                             np.frombuffer(value_of, dtype=np.float64),
                             np.frombuffer(quality_of, dtype=np.int8))
    named = {asset_id for asset_id, _ in keys}
    checked.refs = {asset_id: ref for ref, asset_id in rules.assets.items() if asset_id in named}
    _one_value_per_instant(checked, np.frombuffer(line_of, dtype=np.int64), history)
    report.streams_created = sum(1 for k in np.unique(checked.key).tolist()
                                 if streams[k][2] is None)
    return checked


@dataclass
class _Rules:
    """What a line is judged by: the territory's equipment and streams, the registry's
    metrics, the instants allowed."""

    headers: dict[str, str]
    registry: Registry
    zone: ZoneInfo
    assets: dict[str, int]  # ref -> id, of the equipment the scope sees
    streams: dict[tuple[int, str], int]  # (asset id, metric) -> stream id
    targets: dict[str, observations.StreamTarget]  # metric -> its checks
    now: int
    earliest: int  # the start of EARLIEST_DAY
    horizon: int | None  # the tenant's retention: nothing older is kept
    times: dict[str, int | str] = field(default_factory=dict)  # text -> instant or refusal
    metric_problems: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, scope: TenantScope, conn: Connection, registry: Registry,
           headers: dict[str, str], now: int) -> _Rules:
        a, s = schema.assets, schema.streams
        assets = dict(conn.execute(select(a.c.ref, a.c.id).where(
            scope.owns(a), scope.asset_visible(a))).all())
        streams = {(r.asset_id, r.metric): r.id for r in conn.execute(
            select(s.c.asset_id, s.c.metric, s.c.id).where(scope.owns(s)))}
        targets = {key: observations.StreamTarget.of(0, key, registry)
                   for key in registry.metrics}
        return cls(headers, registry, scope.zone, assets, streams, targets, now,
                   midnight_ms(EARLIEST_DAY, scope.zone),
                   observations.retention_horizon(scope, now))

    def judge(self, line: int, row: dict[str, str]
              ) -> tuple[int, str, int, float, int] | list[LineError]:
        """(asset id, metric, instant, value, quality) of a valid line, or its errors."""
        errors: list[LineError] = []

        def refuse(column: str, message: str) -> None:
            errors.append(LineError(line, self.headers[column], row[column], message))

        ref, metric = row["asset_ref"], row["metric"]
        asset_id = self.assets.get(ref)
        if asset_id is None:
            refuse("asset_ref", "équipement inconnu dans ce territoire" if ref else
                   "référence d'équipement manquante")
        target = self.targets.get(metric)
        if target is None:
            if metric not in self.metric_problems:
                self.metric_problems[metric] = _unknown_metric(metric, self.registry)
            refuse("metric", self.metric_problems[metric])
        t = self._instant(row["time"])
        if isinstance(t, str):
            refuse("time", t)
        try:
            value = textfiles.parse_number(row["value"], "valeur", -math.inf, math.inf, "")
        except ValueError:
            refuse("value", "nombre attendu (décimales après une virgule ou un point)")
        else:
            problem = observations.value_error(target, value) if target else None
            if problem:
                refuse("value", problem)
        quality = QUALITY.get((row.get("quality") or "good").lower())
        if quality is None:
            refuse("quality", "qualité inconnue, attendu good, suspect, bad ou vide")
        if errors:
            return errors
        return asset_id, target.metric.key, t, value, quality  # type: ignore[union-attr]

    def _instant(self, text: str) -> int | str:
        """The instant a time cell names, or why it is refused (remembered: the same
        instants come back for every stream of a file)."""
        known = self.times.get(text)
        if known is not None:
            return known
        if len(self.times) >= _TIME_CACHE:
            self.times.clear()
        try:
            t: int | str = parse_written_time(text, self.zone)
        except ValueError as exc:
            t = str(exc)
        else:
            t = _time_problem(t, self.now, self.earliest, self.horizon) or t
        self.times[text] = t
        return t


def _add_error(report: HistoryReport, error: LineError) -> None:
    report.error_count += 1
    if len(report.errors) < KEPT_ERRORS:
        report.errors.append(error)


def _unknown_metric(metric: str, registry: Registry) -> str:
    if not metric:
        return "clé de mesure manquante"
    close = difflib.get_close_matches(metric, list(registry.metrics), n=1)
    return "mesure inconnue" + (f" (voulez-vous dire « {close[0]} » ?)" if close else "")


def _time_problem(t: int, now: int, earliest: int, horizon: int | None) -> str | None:
    if t < max(earliest, observations.EARLIEST_MS):  # the territory's day or UTC's
        return (f"horodatage antérieur au {local_date(EARLIEST_DAY)} (année mal saisie ?)")
    if not observations.time_in_bounds(t, now):
        return (f"horodatage dans le futur (plus de {observations.FUTURE_TOLERANCE_MS // 60_000}"
                " minutes après l'heure du serveur)")
    if horizon is not None and t < horizon:
        return observations.BEFORE_RETENTION
    return None


def _one_value_per_instant(checked: CheckedHistory, lines: np.ndarray,
                           history: HistoryFile) -> None:
    """Sort the valid rows by stream and time; a line repeating an earlier one (same
    equipment, metric and instant) is dropped: counted as already there when it says the
    same thing (value and quality), refused when it says another."""
    order = np.lexsort((lines, checked.t, checked.key))
    key, t = checked.key[order], checked.t[order]
    repeat = np.zeros(len(order), dtype=bool)
    repeat[1:] = (key[1:] == key[:-1]) & (t[1:] == t[:-1])
    if repeat.any():
        first = order[np.maximum.accumulate(np.where(repeat, 0, np.arange(len(order))))]
        same = ((checked.value[order] == checked.value[first])
                & (checked.quality[order] == checked.quality[first]))
        checked.report.already += int((repeat & same).sum())
        conflicts = {int(lines[order[i]]): int(lines[first[i]])
                     for i in np.flatnonzero(repeat & ~same).tolist()}
        if conflicts:
            _refuse_conflicts(checked.report, conflicts, history)
        order = order[~repeat]
    checked.key, checked.t = checked.key[order], checked.t[order]
    checked.value, checked.quality = checked.value[order], checked.quality[order]


def _refuse_conflicts(report: HistoryReport, conflicts: dict[int, int],
                      history: HistoryFile) -> None:
    """Refuse each line giving another value for the instant of an earlier line, with its
    value as typed (read again: the valid lines' texts are not kept)."""
    column = history.headers["value"]
    for record in history.csv.records():
        if record.line in conflicts and record.values is not None:
            row = record.values
            report.error_count += 1
            report.errors.append(LineError(
                record.line, column, row["value"],
                f"autre valeur pour l'instant de la ligne {conflicts[record.line]} (même "
                f"équipement « {row['asset_ref']} », même mesure « {row['metric']} »)"))
    report.refused += len(conflicts)
    report.errors.sort(key=lambda e: e.line)
    del report.errors[KEPT_ERRORS:]


def write_history(db: Database, principal: Principal, registry: Registry,
                  checked: CheckedHistory, *, partial: bool = False,
                  progress: Callable[[int], None] | None = None) -> HistoryReport:
    """Store the valid rows of a checked file — none when a line was refused, unless
    ``partial`` — in transactions of ``CHUNK_ROWS`` rows; ``progress`` advanced by the
    rows stored. A write interrupted half-way is resumed by importing the file again: what
    was stored is recognised."""
    report = checked.report
    if not checked.to_write(partial):
        return report
    metric_of: dict[int, str] = {}
    stream_ids = np.array([sid or 0 for _, _, sid in checked.streams], dtype=np.int64)
    stored = 0
    for start in range(0, len(checked.t), CHUNK_ROWS):
        end = start + CHUNK_ROWS
        with db.write() as conn:
            scope = open_scope(db, conn, principal, checked.tenant_id)
            scope.require("write")
            for k in np.unique(checked.key[start:end]).tolist():
                if not stream_ids[k]:
                    asset_id, metric, _ = checked.streams[k]
                    stream_ids[k] = ensure_stream(scope, conn, registry, asset_id, metric)
                metric_of[int(stream_ids[k])] = checked.streams[k][1]
            sid = stream_ids[checked.key[start:end]]
            rows = list(zip([scope.tenant_id] * len(sid), sid.tolist(),
                            checked.t[start:end].tolist(), checked.value[start:end].tolist(),
                            checked.quality[start:end].tolist(), strict=True))
            stored += observations.store_history(scope, conn, registry, rows, metric_of)
        if progress:
            progress(len(rows))
    report.stored = stored
    report.already += len(checked.t) - stored
    report.written = True
    with db.write() as conn:
        scope = open_scope(db, conn, principal, checked.tenant_id)
        scope.audit(conn, "import", "observations", None, {
            "stored": report.stored, "already": report.already, "refused": report.refused,
            "streams_created": report.streams_created})
    return report
