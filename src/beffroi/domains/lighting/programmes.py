"""Switching programmes: what level a cabinet's circuit runs at, night after night.

A programme is an ordered list of steps, each at a fixed local time (``"23:00"``) or at a
sun event (``sunset``, ``sunrise``, ``civil_dusk``, ``civil_dawn``, ``nautical_dusk``,
``nautical_dawn``) with an offset in minutes, to a level: 0 (off), 1–99 (dimmed, %) or
100 (full). Variants replace the steps over a date range repeated every year (a season,
school holidays, Christmas lights), optionally on some weekdays only.

How a night is read (the night of local date D runs from noon D to noon D+1):

- evening sun steps fall on D, morning ones on D+1; fixed times from 12:00 on D, before
  12:00 on D+1 (Europe/Paris, daylight-saving changes included);
- the evening and morning sun steps bound the lit window: lamps never burn in daylight.
  A fixed step before the window's start sets the level it opens at (in June, "50 % from
  22:00" with a 22:10 sunset lights at 50 %); a fixed step after its end is void (a
  "full again at 06:00" after a 05:45 sunrise lights nothing);
- a programme without sun steps (a plain clock) runs its fixed steps as they are.

Sun events come from astral (NOAA algorithm) at the cabinet's position.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from astral import Observer
from astral.sun import dawn, dusk, sunrise, sunset

from ...core.clock import PARIS

EVENING = {"sunset": None, "civil_dusk": 6.0, "nautical_dusk": 12.0}
MORNING = {"sunrise": None, "civil_dawn": 6.0, "nautical_dawn": 12.0}
SUN_LABELS = {"sunset": "coucher du soleil", "sunrise": "lever du soleil",
              "civil_dusk": "fin du crépuscule civil", "civil_dawn": "début de l'aube civile",
              "nautical_dusk": "fin du crépuscule nautique",
              "nautical_dawn": "début de l'aube nautique"}


class ProgrammeError(ValueError):
    """A programme that cannot be read; ``errors`` list each field and what is wrong."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']} : {e['message']}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Step:
    at: str  # "HH:MM" (local) or a sun event
    level: int  # 0 off, 1-99 dimmed %, 100 full
    offset_min: int = 0

    @property
    def is_sun(self) -> bool:
        return self.at in EVENING or self.at in MORNING


@dataclass(frozen=True)
class Variant:
    label: str
    start: str  # "MM-DD", inclusive, repeated every year
    end: str  # "MM-DD", inclusive; may wrap the new year (12-01 → 01-06)
    steps: tuple[Step, ...]
    weekdays: tuple[int, ...] = ()  # ISO weekdays of the evening (1 = Monday); () = all

    def applies(self, day: date) -> bool:
        key = day.strftime("%m-%d")
        inside = (self.start <= key <= self.end if self.start <= self.end
                  else key >= self.start or key <= self.end)
        return inside and (not self.weekdays or day.isoweekday() in self.weekdays)


@dataclass(frozen=True)
class Programme:
    key: str
    label: str  # French
    steps: tuple[Step, ...]
    variants: tuple[Variant, ...] = ()

    def steps_for(self, day: date) -> tuple[Step, ...]:
        for variant in self.variants:
            if variant.applies(day):
                return variant.steps
        return self.steps


def _steps(*pairs: tuple[str, int]) -> tuple[Step, ...]:
    return tuple(Step(at, level) for at, level in pairs)


PRESETS: dict[str, Programme] = {p.key: p for p in (
    Programme("dusk_to_dawn", "Allumage au coucher, extinction au lever",
              _steps(("sunset", 100), ("sunrise", 0))),
    Programme("cut_23_5", "Extinction de 23 h à 5 h",
              _steps(("sunset", 100), ("23:00", 0), ("05:00", 100), ("sunrise", 0))),
    Programme("dim_50_22_6", "Abaissement à 50 % de 22 h à 6 h",
              _steps(("sunset", 100), ("22:00", 50), ("06:00", 100), ("sunrise", 0))),
    Programme("cut_23_5_summer_midnight",
              "Extinction de 23 h à 5 h, de minuit à 5 h du 1er juin au 31 août",
              _steps(("sunset", 100), ("23:00", 0), ("05:00", 100), ("sunrise", 0)),
              (Variant("Été", "06-01", "08-31",
                       _steps(("sunset", 100), ("00:00", 0), ("05:00", 100), ("sunrise", 0))),)),
)}


# -- reading programmes sent by users ------------------------------------------------------------
def _parse_steps(raw: Any, where: str, errors: list[dict[str, str]]) -> tuple[Step, ...]:
    if not isinstance(raw, list) or not raw:
        errors.append({"field": where, "message": "liste non vide d'étapes attendue"})
        return ()
    steps = []
    for i, item in enumerate(raw):
        field = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            errors.append({"field": field, "message": "objet {at, level, offset_min} attendu"})
            continue
        at, level, offset = item.get("at"), item.get("level"), item.get("offset_min", 0)
        if not isinstance(at, str) or not (at in EVENING or at in MORNING or _clock(at)):
            errors.append({"field": f"{field}.at", "message": "heure « HH:MM » ou événement "
                           "solaire (" + ", ".join([*EVENING, *MORNING]) + ")"})
        if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= 100:
            errors.append({"field": f"{field}.level",
                           "message": "niveau entier de 0 (éteint) à 100 (plein feu)"})
        if not isinstance(offset, int) or isinstance(offset, bool) or abs(offset) > 180:
            errors.append({"field": f"{field}.offset_min",
                           "message": "décalage en minutes, de -180 à 180"})
        elif isinstance(at, str) and _clock(at) and offset:
            errors.append({"field": f"{field}.offset_min",
                           "message": "décalage réservé aux événements solaires"})
        steps.append(Step(at, level if isinstance(level, int) else 0,
                          offset if isinstance(offset, int) else 0))
    if sum(s.at in EVENING for s in steps) > 1 or sum(s.at in MORNING for s in steps) > 1:
        errors.append({"field": where, "message": "un seul événement solaire du soir et un "
                                                  "seul du matin"})
    return tuple(steps)


@lru_cache(maxsize=4096)
def _clock(text: str) -> time | None:
    try:
        parsed = datetime.strptime(text, "%H:%M").time()
    except ValueError:
        return None
    return parsed if len(text) == 5 else None


def _month_day(text: Any) -> bool:
    try:
        datetime.strptime(f"2024-{text}", "%Y-%m-%d")  # a leap year: 02-29 is valid
    except (TypeError, ValueError):
        return False
    return len(str(text)) == 5


def parse_programme(doc: Any) -> Programme:
    """A preset by key (``{"preset": "cut_23_5"}``) or a programme given in full."""
    if isinstance(doc, Mapping) and set(doc) == {"preset"}:
        preset = PRESETS.get(doc["preset"]) if isinstance(doc["preset"], str) else None
        if preset is None:
            raise ProgrammeError([{"field": "preset", "message": "programme type inconnu ("
                                   + ", ".join(PRESETS) + ")"}])
        return preset
    if not isinstance(doc, Mapping):
        raise ProgrammeError([{"field": "programme", "message": "objet attendu"}])
    errors: list[dict[str, str]] = []
    label = doc.get("label") or "Programme personnalisé"
    if not isinstance(label, str) or len(label) > 200:
        errors.append({"field": "label", "message": "texte de 200 caractères au plus"})
    steps = _parse_steps(doc.get("steps"), "steps", errors)
    variants = []
    raw_variants = doc.get("variants") or []
    if not isinstance(raw_variants, list):
        errors.append({"field": "variants", "message": "liste attendue"})
        raw_variants = []
    for i, raw in enumerate(raw_variants):
        field = f"variants[{i}]"
        if not isinstance(raw, Mapping):
            errors.append({"field": field, "message": "objet attendu"})
            continue
        for key in ("start", "end"):
            if not _month_day(raw.get(key)):
                errors.append({"field": f"{field}.{key}", "message": "date « MM-JJ » attendue"})
        days = raw.get("weekdays") or []
        if not isinstance(days, list) or not all(isinstance(d, int) and 1 <= d <= 7
                                                 for d in days):
            errors.append({"field": f"{field}.weekdays",
                           "message": "jours ISO de 1 (lundi) à 7 (dimanche)"})
            days = []
        variants.append(Variant(str(raw.get("label") or f"Variante {i + 1}"),
                                str(raw.get("start")), str(raw.get("end")),
                                _parse_steps(raw.get("steps"), f"{field}.steps", errors),
                                tuple(days)))
    if errors:
        raise ProgrammeError(errors)
    return Programme("custom", label, steps, tuple(variants))


def programme_text(doc: Any) -> str | None:
    """The French name of a stored programme, a preset's or its own (None: not readable)."""
    try:
        return parse_programme(doc).label
    except ProgrammeError:
        return None


def programme_public(programme: Programme) -> dict[str, Any]:
    def steps(items: Iterable[Step]) -> list[dict[str, Any]]:
        return [{"at": s.at, "level": s.level, "offset_min": s.offset_min,
                 "label": SUN_LABELS.get(s.at, s.at)} for s in items]

    return {"key": programme.key, "label": programme.label, "steps": steps(programme.steps),
            "variants": [{"label": v.label, "start": v.start, "end": v.end,
                          "weekdays": list(v.weekdays), "steps": steps(v.steps)}
                         for v in programme.variants]}


# -- what a programme does ------------------------------------------------------------------------
@lru_cache(maxsize=65_536)
def _sun_time(event: str, day: date, lat: float, lon: float) -> datetime:
    """A sun event of ``day`` at a position (cached: cabinets of a village, and every
    programme at the same position, share the computation)."""
    observer = Observer(latitude=lat, longitude=lon)
    if event == "sunset":
        return sunset(observer, day, tzinfo=UTC)
    if event == "sunrise":
        return sunrise(observer, day, tzinfo=UTC)
    depression = (EVENING | MORNING)[event]
    return (dusk if event in EVENING else dawn)(observer, day, depression=depression,
                                                 tzinfo=UTC)


def night_plan(programme: Programme, day: date, lat: float, lon: float) -> list[tuple[int, int]]:
    """The night of local date ``day``: [(epoch ms UTC, level)] changes, ending at 0."""
    steps = programme.steps_for(day)
    noon = datetime.combine(day, time(12), PARIS)
    timed: list[tuple[datetime, Step]] = []
    evening = morning = None
    for step in steps:
        if step.at in EVENING:
            at = _sun_time(step.at, day, lat, lon) + timedelta(minutes=step.offset_min)
            evening = (at, step)
        elif step.at in MORNING:
            at = _sun_time(step.at, day + timedelta(days=1), lat, lon) + timedelta(
                minutes=step.offset_min)
            morning = (at, step)
        else:
            clock = _clock(step.at)
            on = day if clock >= time(12) else day + timedelta(days=1)
            timed.append((datetime.combine(on, clock, PARIS), step))
    timed.sort(key=lambda x: x[0])
    start = evening[0] if evening else noon
    end = morning[0] if morning else noon + timedelta(days=1)
    before = [s.level for at, s in timed if at <= start]
    level = before[-1] if before else (evening[1].level if evening else 0)
    changes = [(start, level)] + [(at, s.level) for at, s in timed if start < at < end]
    changes.append((end, 0))
    plan: list[tuple[int, int]] = []
    for at, lvl in changes:
        ms = int(at.timestamp() * 1000)
        if not plan or plan[-1][1] != lvl:
            plan.append((ms, lvl))
    return plan


def burn_hours(programme: Programme, first: date, last: date, lat: float,
               lon: float) -> dict[int, float]:
    """Hours at each level (> 0) over the nights from ``first`` to ``last`` inclusive."""
    hours: dict[int, float] = {}
    day = first
    while day <= last:
        plan = night_plan(programme, day, lat, lon)
        for (t0, level), (t1, _) in zip(plan, plan[1:], strict=False):
            if level:
                hours[level] = hours.get(level, 0.0) + (t1 - t0) / 3_600_000
        day += timedelta(days=1)
    return {level: round(h, 2) for level, h in sorted(hours.items())}
