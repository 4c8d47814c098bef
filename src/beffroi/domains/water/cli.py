"""``beffroi water …``: the water domain's commands (Domain.cli).

``beffroi water detect --csv FILE`` runs the leak detector of the live system (same
night extraction, same algorithm, same defaults) on an exported inflow series.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import numpy as np
import orjson

from ...cli.common import os_error_text
from ...cli.csv_input import Unreadable, open_table
from ...core import storable, textfiles
from ...core.errors import Invalid
from ...core.textfiles import json_error_text
from .counters import sorted_unique
from .exceptional_uses import PROPERTY, checked_uses, excluded_ranges, seasonal_ranges
from .leaks import Leak, Repair, detect_leaks
from .metrics import FLOW
from .night_flow import NightWindow, iso_utc, night_minima_from_flow
from .settings import NIGHT_END, NIGHT_START, PRICE, SETTINGS, parse_clock

HEADER = ("time_utc", "inflow_m3h")
SHOWN_ERRORS = 20
DEFAULTS = {s.spec.name: s.default for s in SETTINGS}


@dataclass
class InflowSeries:
    t_s: list[float] = field(default_factory=list)
    inflow_m3h: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # French, one per rejected line
    encoding: str = "utf-8"  # as detected by core's text-file reader


def parse_utc(text: str) -> float:
    """ISO 8601 instant -> epoch seconds; without an offset it is taken as UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    at = datetime.fromisoformat(value)  # ValueError on anything else
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.timestamp()


def read_inflow_csv(path: Path) -> InflowSeries:
    """Rows of a ``time_utc,inflow_m3h`` file (read by core's strict text-file reader);
    bad lines are reported with their line in the file, the others kept."""
    table = open_table(path, HEADER)  # Unreadable: the whole file refused
    out = InflowSeries(encoding=table.encoding)
    for record in table.records:
        if record.values is None:
            out.errors.append(f"ligne {record.line} : {record.problem}.")
            continue
        time_text, flow_text = record.values.values()
        try:
            t = parse_utc(time_text)
        except ValueError:
            out.errors.append(f"ligne {record.line} : date « {time_text} » invalide, ISO 8601 "
                              "UTC attendu (par exemple 2025-03-01T02:15:00Z).")
            continue
        try:
            q = float(flow_text.replace(",", "."))
            if not math.isfinite(q):
                raise ValueError
        except ValueError:
            out.errors.append(f"ligne {record.line} : débit « {flow_text} » invalide, nombre de "
                              "m³/h attendu (par exemple 12.5).")
            continue
        if not FLOW.minimum <= q <= FLOW.maximum:  # the live stream's plausible range
            out.errors.append(f"ligne {record.line} : débit {flow_text} m³/h hors de la plage "
                              f"plausible d'un débit entrant ({FLOW.minimum:g} à "
                              f"{FLOW.maximum:g} m³/h).")
            continue
        out.t_s.append(t)
        out.inflow_m3h.append(q)
    return out


def leak_record(leak: Leak, price: float) -> dict:
    return {"onset_utc": iso_utc(leak.onset_s), "detected_utc": iso_utc(leak.detected_s),
            "extra_flow_m3h": round(leak.extra_flow_m3h, 3),
            "resolved_utc": iso_utc(leak.resolved_s),
            "reference_m3h": round(leak.reference_m3h, 3), "lost_m3": round(leak.lost_m3, 1),
            "lost_eur": round(leak.lost_m3 * price, 2), "ended_by": leak.ended_by,
            "refuted_repair_utc": iso_utc(leak.refuted_repair_s)}


def read_uses(path: Path) -> tuple[list[dict], list[str]]:
    """The declared uses of a ``--uses`` file: a JSON list as the sector's
    ``exceptional_uses`` property holds it (or an object with that property); the valid
    ones, and what is wrong with the others. ClickException when the file is unreadable."""
    try:  # (decoded by core's text-file rules: BOM, Windows-1252, no binary)
        text = textfiles.decode(path.read_bytes()).text
        value = orjson.loads(text)
        prefix = (PROPERTY,) if isinstance(value, dict) and PROPERTY in value else ()
        uses = value[PROPERTY] if prefix else value
        found = storable.duplicate_keys(text, value)
        if found:  # a use naming a key twice is refused alone, like an invalid one
            uses = storable.refuse_items(uses, found, prefix)
    except OSError as exc:
        raise click.ClickException(f"{path} : lecture impossible ({os_error_text(exc)}).") \
            from None
    except Invalid as exc:
        raise click.ClickException(f"{path} : {str(exc).rstrip('.')}.") from None
    except orjson.JSONDecodeError as exc:
        raise click.ClickException(f"{path} : JSON invalide : {json_error_text(exc)}.") \
            from None
    return checked_uses(uses)


def _instant(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
             ) -> list[float]:
    out = []
    for text in values:
        try:
            out.append(parse_utc(text))
        except ValueError:
            raise click.BadParameter(f"date « {text} » invalide, ISO 8601 UTC attendu (par "
                                     "exemple 2025-06-14T10:00:00Z).", ctx=ctx,
                                     param=param) from None
    return sorted(out)


def _zone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"fuseau horaire « {value} » inconnu (par exemple "
                                 "Europe/Paris).", ctx=ctx, param=param) from None
    return value


def _clock(label: str):
    def callback(ctx: click.Context, param: click.Parameter, value: str) -> int:
        try:
            return parse_clock(value, label)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return callback


@click.group("water")
def water() -> None:
    """Eau potable."""


@water.command("detect")
@click.option("--csv", "csv_path", required=True, metavar="FICHIER",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Série exportée, en-tête « time_utc,inflow_m3h » (dates ISO 8601 UTC, "
                   "pas réguliers ou non).")
@click.option("--night-start", default=DEFAULTS[NIGHT_START], show_default=True,
              metavar="HH:MM", callback=_clock("début de la nuit"),
              help="Début de la fenêtre de nuit, heure locale.")
@click.option("--night-end", default=DEFAULTS[NIGHT_END], show_default=True,
              metavar="HH:MM", callback=_clock("fin de la nuit"),
              help="Fin de la fenêtre de nuit, heure locale.")
@click.option("--timezone", "tz", default="Europe/Paris", show_default=True, callback=_zone,
              help="Fuseau horaire de la fenêtre de nuit.")
@click.option("--price", type=click.FloatRange(min=0), default=DEFAULTS[PRICE],
              show_default=True, metavar="EUR_M3", help="Prix du m³ perdu, en euros.")
@click.option("--uses", "uses_path", metavar="FICHIER.json",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Usages déclarés du secteur, comme sur sa fiche : liste JSON de "
                   "{\"start\": \"AAAA-MM-JJ\", \"end\": \"AAAA-MM-JJ\", \"label\": …, "
                   "\"yearly\": true pour un usage saisonnier (arrosage l'été)}. Les nuits "
                   "d'un usage exceptionnel sont ignorées, celles d'un usage saisonnier "
                   "surveillées avec prudence.")
@click.option("--repair", "repairs", multiple=True, metavar="DATE_UTC", callback=_instant,
              help="Réparation consignée (ISO 8601 UTC) de la fuite ouverte la plus récente "
                   "à cette date ; les nuits suivantes la confirment ou la réfutent. "
                   "Répétable.")
@click.option("--strict", is_flag=True,
              help="Refuser tout le fichier si une ligne est invalide (sinon elle est "
                   "signalée et ignorée) ; de même pour un usage invalide.")
def detect(csv_path: Path, night_start: int, night_end: int, tz: str, price: float,
           uses_path: Path | None, repairs: list[float], strict: bool) -> None:
    """Détecte les fuites d'une série de débit entrant (débit minimum de nuit).

    Même algorithme et mêmes réglages que le détecteur en service, avec ce que
    l'exploitant lui dit s'il le donne (usages déclarés, réparations consignées). Écrit un
    objet JSON par fuite détectée (début estimé, détection, débit de fuite, résolution),
    puis une ligne JSON de synthèse. Les lignes invalides sont signalées sur la sortie
    d'erreur.
    """
    uses, use_errors = read_uses(uses_path) if uses_path is not None else ([], [])
    for message in use_errors:
        click.echo(f"Attention, {uses_path} : {message} — usage ignoré.", err=True)
    if strict and use_errors:
        raise click.ClickException(f"{len(use_errors)} erreur(s) dans les usages : fichier "
                                   "refusé (--strict).")
    try:
        series = read_inflow_csv(csv_path)
    except Unreadable as exc:
        raise click.ClickException(str(exc)) from None
    for message in series.errors[:SHOWN_ERRORS]:
        click.echo(f"Attention, {csv_path} {message}", err=True)
    if len(series.errors) > SHOWN_ERRORS:
        click.echo(f"… et {len(series.errors) - SHOWN_ERRORS} autres lignes rejetées.", err=True)
    if strict and series.errors:
        raise click.ClickException(f"{len(series.errors)} ligne(s) invalide(s) : fichier "
                                   "refusé (--strict).")
    if len(series.t_s) < 2:
        raise click.ClickException(f"{csv_path} : moins de deux lignes valides, rien à "
                                   "analyser.")
    t = np.asarray(series.t_s)
    q = np.asarray(series.inflow_m3h)
    t, q = sorted_unique(t, q)  # a repeated instant: its last value
    nights = night_minima_from_flow(t, q, NightWindow(night_start, night_end, tz))
    declared = {PROPERTY: uses}
    scan = detect_leaks(
        nights.end_s, nights.minimum_m3h, variability=nights.variability_m3h,
        resolution_m3h=nights.resolution_m3h, repairs=[Repair(None, at) for at in repairs],
        excluded=excluded_ranges(declared, tz),
        seasonal=seasonal_ranges(declared, float(t[0]), float(t[-1]), tz))
    out = sys.stdout
    for leak in scan.leaks:
        out.write(orjson.dumps(leak_record(leak, price)).decode() + "\n")
    known = int(np.isfinite(nights.minimum_m3h).sum())
    out.write(orjson.dumps({
        "summary": True, "rows": len(series.t_s), "rejected_rows": len(series.errors),
        "encoding": series.encoding,
        "first_utc": iso_utc(float(t[0])), "last_utc": iso_utc(float(t[-1])),
        "nights": len(nights), "nights_with_data": known, "leaks": len(scan.leaks),
        "active_leak": bool(scan.leaks and scan.leaks[-1].active),
        "lost_m3": round(sum(leak.lost_m3 for leak in scan.leaks), 1),
        "lost_eur": round(sum(leak.lost_m3 for leak in scan.leaks) * price, 2),
        "night_window": f"{night_start // 60:02d}:{night_start % 60:02d}-"
                        f"{night_end // 60:02d}:{night_end % 60:02d}",
        "timezone": tz, "price_eur_m3": price, "repairs": len(repairs),
        "exceptional_uses": sum(not use.get("yearly") for use in uses),
        "seasonal_uses": sum(bool(use.get("yearly")) for use in uses),
        "rejected_uses": len(use_errors),
        # what the detector found of the series itself: the step its night flows move by
        # (a meter read by steps; 0: continuous), a weekly pattern taken out of the nights
        "night_flow_resolution_m3h": round(nights.resolution_m3h, 6),
        "weekly_pattern": scan.weekly_offset_m3h is not None}).decode() + "\n")
