"""Planned exceptional night uses of a distribution sector (issue #15): a swimming pool
filled, mains flushed, a reservoir filled, a fire exercise… declared beforehand (or after
the fact) so that the night-flow leak detector leaves those nights out instead of raising a
false alarm. A use declared ``yearly`` is a seasonal one (garden timers watering at night
every summer): its days come back every year, and the detector watches them with caution
instead of leaving them out — a rise of the night flow is a leak only once it outlasts the
use's pauses (a leak never pauses; watering stops on rainy nights).

They are stored on the sector (``water.sector``) as its ``exceptional_uses`` property, a
list of ``{"id", "start", "end", "label", "flow_m3h", "yearly"}`` (dates ``YYYY-MM-DD``,
both days included — for a yearly use, those of one year, repeated on the same days of
every other year; ``flow_m3h`` and ``yearly`` optional). The kind declares the property
with ``USES_SPEC``, so that the generic asset PATCH checks it exactly as the routes of this
module do; every write goes through ``core.assets.update_asset``: validated, audited as a
change of the sector, without a table of its own.

``excluded_ranges`` (the nights left out) and ``seasonal_ranges`` (the nights watched with
caution) are what the detector reads: the declared days as UTC intervals, from local
midnight of the first day to local midnight after the last.

Both days lie from ``EARLIEST_DAY`` (2000) on — earlier is a year mistyped (« 20260 » typed
in a date picker gives 0260), refused wherever a use is checked, a stored one included —
and, when a use is written, at most ``MAX_AHEAD_DAYS`` (two years) after today: a use is
declared for the season or the works to come, not further (a seasonal use comes back every
year from its first one anyway). Stored uses stay valid as time passes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection

from ...core import assets, clock
from ...core.access import TenantScope
from ...core.alerting.field_values import FieldError, parse_day
from ...core.clock import EARLIEST_DAY, midnight_ms
from ...core.errors import Invalid, NotFound
from ...core.french_format import local_date
from ...core.properties import entries_checked
from ...core.registry import PropertySpec, Registry
from ...core.storable import Refused

SECTOR_KIND = "water.sector"
PROPERTY = "exceptional_uses"
MAX_DAYS = 92  # a use longer than a season would hide a real leak for too long
MAX_YEARLY_DAYS = 184  # half a year watched with caution, every year
MAX_LABEL = 200
MAX_USES = 200
MAX_FLOW_M3H = 10_000
MAX_AHEAD_DAYS = 2 * 365 + 1  # a use declared two years ahead at most (one leap day)
DEFAULT_TZ = "Europe/Paris"

FIELDS: tuple[PropertySpec, ...] = (
    PropertySpec("id", "string", "Identifiant", pattern=r"[A-Za-z0-9_-]{1,32}",
                 pattern_hint="lettres, chiffres, « - » ou « _ », 32 au plus"),
    PropertySpec("start", "date", "Premier jour", required=True),
    PropertySpec("end", "date", "Dernier jour", required=True),
    PropertySpec("label", "string", "Motif", required=True),
    PropertySpec("flow_m3h", "number", "Débit prévu", unit="m3/h", minimum=0,
                 maximum=MAX_FLOW_M3H),
    PropertySpec("yearly", "boolean", "Chaque année (usage saisonnier)"),
)
LABELS = {f.name: f.label for f in FIELDS}


def _day(value: Any) -> date | None:
    """A ``YYYY-MM-DD`` date, strictly (``date.fromisoformat`` also takes ``20250704``)."""
    try:
        return parse_day(value)
    except FieldError:
        return None


def _max_days(entry: Mapping[str, Any]) -> int:
    return MAX_YEARLY_DAYS if entry.get("yearly") is True else MAX_DAYS


def today() -> date:
    """Today (Paris: two years ahead, the time zone hardly matters)."""
    return clock.local_day(clock.now_ms(), clock.PARIS)


def _entry_errors(entry: Mapping[str, Any], today: date | None = None
                  ) -> list[tuple[str, str]]:
    """What is wrong with one entry whose fields have their declared types: (field,
    message) pairs, French. With ``today`` (a use being written), its days may not lie more
    than ``MAX_AHEAD_DAYS`` after it."""
    errors = []
    first, last = _day(entry.get("start")), _day(entry.get("end"))
    latest = today + timedelta(days=MAX_AHEAD_DAYS) if today is not None else None
    for name, day in (("start", first), ("end", last)):
        if day is None and entry.get(name) is not None:
            errors.append((name, f"{LABELS[name]} : date « {entry[name]} » invalide "
                                 "(AAAA-MM-JJ attendu, par exemple 2025-07-14)"))
        elif day is not None and day < EARLIEST_DAY:
            errors.append((name, f"{LABELS[name]} : le {local_date(day)} est trop ancien, le "
                                 f"{local_date(EARLIEST_DAY)} au plus tôt (année mal saisie ?)"))
        elif latest is not None and day is not None and day > latest:
            errors.append((name, f"{LABELS[name]} : le {local_date(day)} est à plus de deux "
                                 f"ans, le {local_date(latest)} au plus tard (année mal "
                                 "saisie ?)"))
    if errors:
        first = last = None  # (the period is judged once its days are right)
    if first and last:
        if last < first:
            errors.append(("end", f"{LABELS['end']} : le {local_date(last)} est avant le premier "
                                  f"jour ({local_date(first)})"))
        elif (last - first).days + 1 > _max_days(entry):
            errors.append(("end", f"{LABELS['end']} : période de {(last - first).days + 1} "
                                  f"jours, {_max_days(entry)} au plus"
                                  + (" pour un usage saisonnier" if entry.get("yearly") is True
                                     else f" ({MAX_YEARLY_DAYS} pour un usage saisonnier, "
                                     "chaque année)")))
    label = entry.get("label")
    if isinstance(label, str):
        if not label.strip():
            errors.append(("label", f"{LABELS['label']} : obligatoire (par exemple « Remplissage "
                                    "de la piscine municipale »)"))
        elif len(label) > MAX_LABEL:
            errors.append(("label", f"{LABELS['label']} : {MAX_LABEL} caractères au plus "
                                    f"(reçu {len(label)})"))
    return errors


def check_uses(value: Any) -> list[dict[str, str]]:
    """``USES_SPEC.check``: the rules beyond each field's type, for a list whose entries
    passed their fields' checks."""
    if len(value) > MAX_USES:
        return [{"field": "", "message": f"{MAX_USES} usages exceptionnels au plus par secteur"}]
    errors, seen, day = [], set(), today()
    for i, entry in enumerate(value):
        errors += [{"field": f"[{i}].{name}", "message": message}
                   for name, message in _entry_errors(entry, day)]
        if entry.get("id") is not None:
            if entry["id"] in seen:
                errors.append({"field": f"[{i}].id",
                               "message": f"identifiant « {entry['id']} » déjà utilisé"})
            seen.add(entry["id"])
    return errors


USES_SPEC = PropertySpec(
    PROPERTY, "list", "Usages exceptionnels déclarés",
    entry_fields=FIELDS, entry_label="Usage exceptionnel", check=check_uses)


# -- reading what is stored --------------------------------------------------------------------
def _derived_id(entry: Mapping[str, Any]) -> str:
    """The id of an entry written without one (through the generic asset routes): derived
    from its content, so that it stays the same until the entry is rewritten with it."""
    text = f"{entry.get('start')}|{entry.get('end')}|{entry.get('label')}"
    return "u" + hashlib.sha1(text.encode()).hexdigest()[:8]


def _valid(entry: Any) -> dict[str, Any] | None:
    """One stored entry, checked as on writing, or None."""
    if not isinstance(entry, Mapping):
        return None
    clean, errors = entries_checked(USES_SPEC, [dict(entry)])
    if errors or _entry_errors(clean[0]):
        return None
    return clean[0]


def checked_uses(value: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Uses given from outside (``beffroi water detect --uses``): the valid entries, checked
    as on writing, and what is wrong with the others (French, one message per fault, the
    entry numbered from 1; an entry naming a key twice is a ``storable.Refused``)."""
    if not isinstance(value, list):
        return [], ["liste d'usages attendue ([{\"start\": …, \"end\": …, \"label\": …}])"]
    if len(value) > MAX_USES:
        return [], [f"{MAX_USES} usages exceptionnels au plus par secteur (reçu {len(value)})"]
    kept, errors = [], []
    for i, entry in enumerate(value, start=1):
        if isinstance(entry, Refused):  # a key named twice in the file
            errors.append(f"usage n° {i} : {entry.inside}")
            continue
        clean, faults = entries_checked(USES_SPEC, [entry])
        messages = [f["message"] for f in faults]
        if not messages:
            messages = [message for _, message in _entry_errors(clean[0])]
        if messages:
            errors += [f"usage n° {i} : {message}" for message in messages]
        else:
            kept.append(clean[0])
    return kept, errors


def stored_uses(properties: Any) -> list[dict[str, Any]]:
    """The valid uses stored on a sector, by start date, each with an ``id`` and every field
    (``flow_m3h`` null when not given). Anything else written there is left out."""
    uses = properties.get(PROPERTY) if isinstance(properties, Mapping) else None
    if not isinstance(uses, list):
        return []
    out, ids = [], set()
    for entry in uses:
        clean = _valid(entry)
        if clean is None:
            continue
        use_id = clean.get("id") or _derived_id(clean)
        while use_id in ids:  # twice the same entry without an id
            use_id = f"{use_id}x"[:32]
        ids.add(use_id)
        out.append({"id": use_id, "start": clean["start"], "end": clean["end"],
                    "label": clean["label"], "flow_m3h": clean.get("flow_m3h"),
                    "yearly": clean.get("yearly") is True})
    return sorted(out, key=lambda u: (u["start"], u["end"], u["id"]))


def _zone(tz: Any) -> ZoneInfo:
    try:
        return ZoneInfo(str(tz))
    except Exception:  # an unknown or malformed zone name: the default one
        return ZoneInfo(DEFAULT_TZ)


def _declared_days(properties: Any, yearly: bool) -> list[tuple[date, date]]:
    """(first, last) days of the declared uses, yearly or not; a malformed entry is skipped,
    never raised (only the dates and the flag matter here)."""
    uses = properties.get(PROPERTY) if isinstance(properties, Mapping) else None
    out = []
    for entry in uses if isinstance(uses, list) else []:
        if not isinstance(entry, Mapping) or (entry.get("yearly") is True) != yearly:
            continue
        first, last = _day(entry.get("start")), _day(entry.get("end"))
        if first is not None and last is not None and first <= last and (
                last - first).days + 1 <= _max_days(entry):
            out.append((first, last))
    return out


def _utc_range(first: date, last: date, zone: ZoneInfo) -> tuple[float, float]:
    """From local midnight of ``first`` to local midnight after ``last``, epoch s UTC."""
    return midnight_ms(first, zone) / 1000, midnight_ms(last + timedelta(days=1), zone) / 1000


def excluded_ranges(properties: dict, tz: str = DEFAULT_TZ) -> list[tuple[float, float]]:
    """(start, end) in epoch seconds UTC of each declared use but the yearly ones: from
    local midnight of `start` to local midnight after `end`."""
    zone = _zone(tz)
    return sorted(_utc_range(first, last, zone)
                  for first, last in _declared_days(properties, yearly=False))


def _in_year(day: date, shift: int) -> date:
    """The same day ``shift`` years later (29 February: the 28th in a common year)."""
    try:
        return day.replace(year=day.year + shift)
    except ValueError:
        return day.replace(year=day.year + shift, day=28)


def seasonal_ranges(properties: dict, first_s: float, last_s: float, tz: str = DEFAULT_TZ
                    ) -> list[tuple[float, float]]:
    """(start, end) in epoch seconds UTC of every year's occurrence of the yearly uses that
    meets [first_s, last_s]: their nights are watched with caution by the detector."""
    zone = _zone(tz)
    since = datetime.fromtimestamp(first_s, zone).year
    until = datetime.fromtimestamp(last_s, zone).year
    out = []
    for first, last in _declared_days(properties, yearly=True):
        for year in range(since - 1, until + 1):  # (a use across New Year starts before)
            shift = year - first.year
            begin, end = _utc_range(_in_year(first, shift), _in_year(last, shift), zone)
            if end > first_s and begin < last_s:
                out.append((begin, end))
    return sorted(out)


# -- what the routes do ------------------------------------------------------------------------
def sector_row(scope: TenantScope, conn: Connection, sector_id: int) -> Any:
    row = scope.asset(conn, sector_id)
    if row.kind != SECTOR_KIND:
        raise NotFound(f"L'équipement {sector_id} n'est pas un secteur de distribution.")
    return row


def _answer(row: Any, uses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"sector": {"id": row.id, "ref": row.ref, "name": row.name},
            "uses": uses, "limits": {"max_days": MAX_DAYS, "max_yearly_days": MAX_YEARLY_DAYS,
                                     "max_label": MAX_LABEL, "max_uses": MAX_USES}}


def sector_uses(scope: TenantScope, conn: Connection, sector_id: int) -> dict[str, Any]:
    scope.require("read")
    row = sector_row(scope, conn, sector_id)
    return _answer(row, stored_uses(orjson.loads(row.properties)))


def check_new_use(body: Any) -> dict[str, Any]:
    """The use a client posts, checked: its fields named as in the body; Invalid (422) with
    every error at once otherwise."""
    if not isinstance(body, Mapping):
        raise Invalid("Objet JSON attendu : l'usage exceptionnel à déclarer ; rien n'a été "
                      "enregistré.",
                      errors=[{"field": "", "message": 'objet attendu, par exemple {"start": '
                               '"2025-07-01", "end": "2025-07-03", "label": "Remplissage de '
                               'la piscine"}'}])
    errors = []
    if "id" in body:
        errors.append({"field": "id", "message": "identifiant attribué par Beffroi : ne pas "
                                                 "le donner"})
    entry = {k: v for k, v in body.items() if k != "id"}
    if isinstance(entry.get("label"), str):
        entry["label"] = " ".join(entry["label"].split())  # spaces and line breaks tidied
    if entry.get("label") == "":
        entry["label"] = None  # said as missing, below
    clean, problems = entries_checked(USES_SPEC, [entry])
    errors += [{"field": p["field"].removeprefix("[0]."), "message": p["message"]}
               for p in problems]
    if errors:
        named = ", ".join(dict.fromkeys(LABELS.get(e["field"], e["field"])
                                        for e in errors if e["field"]))
        raise Invalid(f"Usage exceptionnel refusé{f' ({named})' if named else ''} : rien n'a "
                      "été enregistré.", errors=errors)
    return clean[0]


def _store(scope: TenantScope, conn: Connection, registry: Registry, row: Any,
           uses: list[dict[str, Any]]) -> None:
    stored = [{k: v for k, v in u.items() if v is not None and v is not False} for u in uses]
    try:
        assets.update_asset(scope, conn, registry, row.id,
                            {"properties": {PROPERTY: stored or None}})
    except Invalid as exc:  # the whole list (too many uses…): said in the body's terms
        raise Invalid("Usage exceptionnel refusé : rien n'a été enregistré.", errors=[
            {"field": e["field"].removeprefix(f"properties.{PROPERTY}"), "message": e["message"]}
            for e in exc.errors]) from None


def add_use(scope: TenantScope, conn: Connection, registry: Registry, sector_id: int,
            body: Any) -> dict[str, Any]:
    """Declare one use; it gets a new random ``id``. Audited as a change of the sector."""
    scope.require("write")
    row = sector_row(scope, conn, sector_id)
    scope.require_commune(row.commune_insee)
    use = check_new_use(body)
    uses = stored_uses(orjson.loads(row.properties))
    ids = {u["id"] for u in uses}
    use_id = secrets.token_hex(4)
    while use_id in ids:
        use_id = secrets.token_hex(4)
    new = {"id": use_id, "start": use["start"], "end": use["end"], "label": use["label"],
           "flow_m3h": use.get("flow_m3h"), "yearly": use.get("yearly") is True}
    uses = sorted([*uses, new], key=lambda u: (u["start"], u["end"], u["id"]))
    _store(scope, conn, registry, row, uses)
    days = (date.fromisoformat(new["end"]) - date.fromisoformat(new["start"])).days + 1
    period = (f"du {local_date(date.fromisoformat(new['start']))} au "
              f"{local_date(date.fromisoformat(new['end']))}")
    if new["yearly"]:
        message = (f"Usage saisonnier enregistré : « {new['label']} », {period} et aux mêmes "
                   f"dates chaque année ({days} nuits surveillées avec prudence : une hausse "
                   "n'y est une fuite que si elle dure au-delà des pauses de l'usage).")
    else:
        message = (f"Usage exceptionnel enregistré : « {new['label']} », {period} ({days} nuit"
                   f"{'s' if days > 1 else ''} ignorée{'s' if days > 1 else ''} par le "
                   "détecteur de fuites).")
    return {**_answer(row, uses), "use": new, "message": message}


def delete_use(scope: TenantScope, conn: Connection, registry: Registry, sector_id: int,
               use_id: str) -> dict[str, Any]:
    """Remove one use by its id. Audited as a change of the sector."""
    scope.require("write")
    row = sector_row(scope, conn, sector_id)
    scope.require_commune(row.commune_insee)
    uses = stored_uses(orjson.loads(row.properties))
    gone = next((u for u in uses if u["id"] == use_id), None)
    if gone is None:
        raise NotFound(f"Usage exceptionnel « {use_id[:40]} » introuvable pour ce secteur.")
    uses = [u for u in uses if u["id"] != use_id]
    _store(scope, conn, registry, row, uses)
    return {**_answer(row, uses), "deleted": gone,
            "message": f"Usage exceptionnel « {gone['label']} » supprimé."}

