"""Enrolment, reading, re-confirmation, deletion and export of the register's persons.

Every function starts with ``require_referent`` and every read writes its audit entry
(``register.read``: the person's id, or the ids of a list, never a name) in the caller's
transaction: a read that cannot be audited is not made.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import orjson
from shapely.geometry import Point, shape
from sqlalchemy import Connection, select

from ....core import clock
from ....core.access import TenantScope
from ....core.errors import Invalid, NotFound
from ....core.geometry import validate_geometry
from ....storage import schema
from .referents import require_referent

# The consent text the form shows; its version is stored with each enrolment.
CONSENT_VERSION = "2026-01"
CONSENT_TEXT = (
    "J'accepte que les informations ci-dessus soient inscrites au registre nominatif des "
    "personnes vulnérables de la commune (art. L121-6-1 du code de l'action sociale et des "
    "familles), communiquées au préfet et aux services intervenant en cas de déclenchement "
    "du plan d'alerte et d'urgence, et conservées jusqu'à ma demande de radiation ou à "
    "défaut de confirmation. Je peux y accéder, les faire rectifier ou supprimer à tout moment.")
CATEGORIES = {"senior": "65 ans ou plus", "unfit_60": "plus de 60 ans, inapte au travail",
              "disabled": "adulte handicapé"}
NEEDS = {"mobility": "mobilité réduite", "medical_device": "appareil médical à domicile",
         "hearing": "troubles de l'audition", "sight": "troubles de la vue",
         "cognitive": "troubles cognitifs", "home_help": "aide ou soins à domicile"}
RELATIONS = {"family": "famille", "neighbour": "voisin", "other": "autre"}
ENROLLED_BY = {"self": "la personne elle-même", "third_party": "un tiers"}
_PHONE = re.compile(r"^(?:\+33 ?[1-9]|0[1-9])(?:[ .-]?\d{2}){4}$")
# Art. L121-6-1 CASF (docs/risques.md): the ``senior`` situation is being 65 or older, the
# ``unfit_60`` one over 60, so a birth date that makes the person younger contradicts it
# (refused, not a warning: the register only holds eligible persons). A birth date in the
# future or more than OLDEST years before today is refused too (plausibility: a typing
# error in the year).
MIN_AGE = {"senior": 65, "unfit_60": 60}
OLDEST = 120
FIELDS = {"last_name", "first_name", "birth_date", "category", "commune", "address",
          "location", "phones", "contacts", "needs", "lives_alone", "doctor", "notes",
          "consent"}


# -- validation ---------------------------------------------------------------------------
def _one_of(value: Any, choices: Mapping[str, str]) -> bool:
    """Whether a JSON value is one of the ``choices`` keys (a list or an object is not, and
    cannot be looked up: it is unhashable)."""
    return isinstance(value, str) and value in choices


def age_on(birth: date, day: date) -> int:
    """Whole years of a person born on ``birth`` on ``day`` (29 February: a year older on
    1 March of a common year)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _birth_date(value: Any, errors: list) -> str | None:
    """The birth date (optional): a date, neither in the future nor more than OLDEST years
    before today (the day OLDEST years ago passes)."""
    text = _date(value, "birth_date", "Date de naissance", errors, required=False)
    if text is None:
        return None
    birth, today = date.fromisoformat(text), date.fromisoformat(clock_today())
    if birth > today:
        errors.append({"field": "birth_date", "message": "Date de naissance : dans le futur."})
        return None
    if (birth.year + OLDEST, birth.month, birth.day) < (today.year, today.month, today.day):
        errors.append({"field": "birth_date", "message": f"Date de naissance : plus de {OLDEST} "
                       "ans avant aujourd'hui (vérifiez l'année)."})
        return None
    return text


def _text(body, name, label, errors, *, required=True, max_len=100) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append({"field": name, "message": f"{label} : obligatoire."})
        return None
    if not isinstance(value, str):
        errors.append({"field": name, "message": f"{label} : texte attendu."})
        return None
    if len(value.strip()) > max_len:
        errors.append({"field": name, "message": f"{label} : {max_len} caractères au plus."})
        return None
    return value.strip()


def _date(value, name, label, errors, *, required) -> str | None:
    if value is None:
        if required:
            errors.append({"field": name, "message": f"{label} : obligatoire."})
        return None
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        errors.append({"field": name, "message": f"{label} : date AAAA-MM-JJ attendue."})
        return None
    return day.isoformat()


def _phone(value, name, label, errors) -> str | None:
    if not isinstance(value, str) or not _PHONE.match(value.strip()):
        errors.append({"field": name, "message": f"{label} : numéro français attendu "
                       "(10 chiffres, par exemple 03 29 00 00 00, ou +33 …)."})
        return None
    return value.strip()


def validate_person(scope: TenantScope, conn: Connection, body: Any) -> dict[str, Any]:
    """The stored columns and contacts of an enrolment form, or Invalid with every error."""
    if not isinstance(body, Mapping):
        raise Invalid("Objet JSON attendu : la fiche d'inscription au registre.")
    errors: list[dict[str, str]] = [
        {"field": k, "message": f"champ inconnu « {k} »."} for k in body if k not in FIELDS]
    out: dict[str, Any] = {
        "last_name": _text(body, "last_name", "Nom", errors),
        "first_name": _text(body, "first_name", "Prénom", errors),
        "birth_date": _birth_date(body.get("birth_date"), errors),
        "address": _text(body, "address", "Adresse", errors, max_len=300),
        "doctor": _text(body, "doctor", "Médecin traitant", errors, required=False,
                        max_len=200),
        "notes": _text(body, "notes", "Observations", errors, required=False, max_len=1000),
    }
    category = body.get("category")
    if category is None or category == "":
        errors.append({"field": "category", "message": "Situation : obligatoire "
                       "(art. L121-6-1 CASF)."})
        category = None
    elif not _one_of(category, CATEGORIES):
        *others, last = CATEGORIES.values()
        errors.append({"field": "category", "message": "Situation : choisissez « "
                       + " », « ".join(others) + f" » ou « {last} » (art. L121-6-1 CASF)."})
        category = None
    elif category in MIN_AGE and out["birth_date"] is not None:
        age = age_on(date.fromisoformat(out["birth_date"]), date.fromisoformat(clock_today()))
        if age < MIN_AGE[category]:
            errors.append({"field": "category", "message": f"Situation : « {CATEGORIES[category]} » "
                           f"alors que la date de naissance donne {age} ans ; corrigez l'une "
                           "ou l'autre, ou choisissez une autre situation (art. L121-6-1 "
                           "CASF)."})
    out["category"] = category
    commune = body.get("commune")
    c = schema.communes
    if commune is None or commune == "":
        errors.append({"field": "commune", "message": "Commune : obligatoire."})
    elif not isinstance(commune, str):
        errors.append({"field": "commune", "message": "Commune : code INSEE attendu (texte)."})
    elif conn.execute(select(c.c.insee).where(scope.owns(c), c.c.insee == commune)
                      ).first() is None:
        errors.append({"field": "commune", "message": f"Commune : code INSEE « {commune[:10]} » "
                       "inconnu dans ce territoire."})
    else:
        scope.require_commune(commune)
    out["commune_insee"] = commune
    where = "placez le point sur la carte ou saisissez longitude et latitude"
    if body.get("location") is None:
        errors.append({"field": "location", "message": f"Position du domicile : obligatoire "
                       f"({where})."})
    else:
        try:
            point = validate_geometry(body.get("location"), ("Point",))
            out["lon"], out["lat"] = (float(v) for v in point["coordinates"][:2])
        except ValueError as exc:
            errors.append({"field": "location", "message": f"Position du domicile : {exc} "
                           f"({where})."})
    phones = body.get("phones")
    if phones is None or phones == []:
        errors.append({"field": "phones", "message": "Téléphone principal : obligatoire."})
        phones = []
    elif not isinstance(phones, list) or len(phones) > 3:
        errors.append({"field": "phones", "message": "Téléphones : de 1 à 3 numéros."})
        phones = []
    out["phones"] = [_phone(p, f"phones[{i}]", "Téléphone", errors) for i, p in enumerate(phones)]
    needs = body.get("needs", [])
    if not isinstance(needs, list) or not all(_one_of(n, NEEDS) for n in needs):
        errors.append({"field": "needs", "message": "Besoins : liste parmi « "
                       + " », « ".join(NEEDS) + " »."})
        needs = []
    out["needs"] = sorted(set(needs))
    if not isinstance(body.get("lives_alone"), bool):
        errors.append({"field": "lives_alone", "message": "Vit seul(e) : oui ou non (booléen)."})
    out["lives_alone"] = body.get("lives_alone")
    out["contacts"] = _contacts(body.get("contacts", []), errors)
    out.update(_consent(body.get("consent"), errors))
    if errors:
        raise Invalid("Inscription au registre refusée : rien n'a été enregistré.",
                      errors=errors)
    out["phones"] = orjson.dumps(out["phones"]).decode()
    out["needs"] = orjson.dumps(out["needs"]).decode()
    return out


def _contacts(contacts: Any, errors: list) -> list[dict[str, str]]:
    if not isinstance(contacts, list) or len(contacts) > 5:
        errors.append({"field": "contacts", "message": "Personnes à prévenir : 5 au plus."})
        return []
    out = []
    for i, contact in enumerate(contacts):
        where = f"contacts[{i}]"
        if not isinstance(contact, Mapping):
            errors.append({"field": where, "message": "Personne à prévenir : objet attendu."})
            continue
        name = _text(contact, "name", "Nom", [], max_len=200)
        if name is None:
            errors.append({"field": f"{where}.name", "message": "Nom : obligatoire."})
        relation = contact.get("relation")
        if not _one_of(relation, RELATIONS):
            errors.append({"field": f"{where}.relation", "message": "Lien : « family », "
                           "« neighbour » ou « other »."})
        phone = _phone(contact.get("phone"), f"{where}.phone", "Téléphone", errors)
        out.append({"name": name, "relation": relation, "phone": phone})
    return out


def _consent(consent: Any, errors: list) -> dict[str, Any]:
    if not isinstance(consent, Mapping):
        errors.append({"field": "consent", "message": "Consentement : obligatoire (objet "
                       "avec « given », « enrolled_by », « request_date », « version »)."})
        return {}
    if consent.get("given") is not True:
        errors.append({"field": "consent.given", "message": "Le consentement explicite de la "
                       "personne (ou de son représentant) est obligatoire."})
    enrolled_by = consent.get("enrolled_by")
    if not _one_of(enrolled_by, ENROLLED_BY):
        errors.append({"field": "consent.enrolled_by", "message": "Demande faite par : « self » "
                       "(la personne) ou « third_party » (un tiers)."})
    requester = _text(consent, "requester", "Tiers demandeur", [], required=False, max_len=200)
    if enrolled_by == "third_party" and requester is None:
        errors.append({"field": "consent.requester", "message": "Tiers demandeur : nom et lien "
                       "avec la personne obligatoires pour une demande faite par un tiers."})
    request_date = _date(consent.get("request_date"), "consent.request_date",
                         "Date de la demande écrite", errors, required=True)
    if request_date and request_date > clock_today():
        errors.append({"field": "consent.request_date",
                       "message": "Date de la demande écrite : dans le futur."})
    if consent.get("version") != CONSENT_VERSION:
        errors.append({"field": "consent.version", "message": "Version du texte de "
                       f"consentement : « {CONSENT_VERSION} » attendue (texte en vigueur)."})
    return {"enrolled_by": enrolled_by, "requester": requester if enrolled_by ==
            "third_party" else None, "request_date": request_date,
            "consent_version": CONSENT_VERSION}


def clock_today() -> str:
    from datetime import datetime
    return datetime.fromtimestamp(clock.now_ms() / 1000, clock.PARIS).date().isoformat()


# -- reading ------------------------------------------------------------------------------
def _visible(scope: TenantScope):
    p = schema.register_persons
    clause = scope.owns(p)
    if scope.communes is not None:
        clause = clause & p.c.commune_insee.in_(sorted(scope.communes))
    return clause


def audit_read(scope: TenantScope, conn: Connection, view: str, ids: Sequence[int],
               person_id: int | None = None, action: str = "register.read") -> None:
    scope.audit(conn, action, "register_person", person_id,
                {"view": view, "count": len(ids), "ids": list(ids)})


def _contacts_of(scope, conn, ids: Iterable[int]) -> dict[int, list[dict[str, str]]]:
    k = schema.register_contacts
    out: dict[int, list[dict[str, str]]] = {}
    ids = list(ids)
    if not ids:
        return out
    for row in conn.execute(select(k).where(scope.owns(k), k.c.person_id.in_(ids))
                            .order_by(k.c.person_id, k.c.position)):
        out.setdefault(row.person_id, []).append(
            {"name": row.name, "relation": row.relation, "phone": row.phone})
    return out


def person_json(row, contacts: list[dict[str, str]]) -> dict[str, Any]:
    return {"id": row.id, "commune": row.commune_insee, "last_name": row.last_name,
            "first_name": row.first_name, "birth_date": row.birth_date,
            "category": row.category, "address": row.address,
            "location": {"type": "Point", "coordinates": [row.lon, row.lat]},
            "phones": orjson.loads(row.phones), "needs": orjson.loads(row.needs),
            "lives_alone": bool(row.lives_alone), "doctor": row.doctor, "notes": row.notes,
            "contacts": contacts,
            "consent": {"enrolled_by": row.enrolled_by, "requester": row.requester,
                        "request_date": row.request_date, "version": row.consent_version,
                        "recorded_by": row.recorded_by},
            "created_at": clock.format_instant(row.created_at),
            "updated_at": clock.format_instant(row.updated_at),
            "confirmed_at": clock.format_instant(row.confirmed_at)}


def _rows(scope, conn, *clauses) -> list[Any]:
    p = schema.register_persons
    return list(conn.execute(select(p).where(_visible(scope), *clauses)
                             .order_by(p.c.last_name, p.c.first_name, p.c.id)))


def _person_row(scope, conn, person_id: int) -> Any:
    rows = _rows(scope, conn, schema.register_persons.c.id == person_id)
    if not rows:
        raise NotFound(f"Personne {person_id} introuvable dans le registre de ce territoire.")
    return rows[0]


def list_persons(scope: TenantScope, conn: Connection, commune: str | None = None
                 ) -> list[dict[str, Any]]:
    require_referent(scope, conn)
    p = schema.register_persons
    rows = _rows(scope, conn, *([p.c.commune_insee == commune] if commune else []))
    contacts = _contacts_of(scope, conn, [r.id for r in rows])
    audit_read(scope, conn, "list", [r.id for r in rows])
    return [person_json(r, contacts.get(r.id, [])) for r in rows]


def get_person(scope: TenantScope, conn: Connection, person_id: int) -> dict[str, Any]:
    require_referent(scope, conn)
    row = _person_row(scope, conn, person_id)
    audit_read(scope, conn, "person", [row.id], person_id=row.id)
    return person_json(row, _contacts_of(scope, conn, [row.id]).get(row.id, []))


def persons_in_polygon(scope: TenantScope, conn: Connection, geometry: Any
                       ) -> list[dict[str, Any]]:
    """The persons whose home lies inside (or on the edge of) a Polygon/MultiPolygon (a
    flood zone): what the crisis cell lists for a zone at a level. Audited as a read."""
    require_referent(scope, conn)
    try:
        geometry = validate_geometry(geometry, ("Polygon", "MultiPolygon"))
    except ValueError as exc:
        raise Invalid("Zone refusée.", errors=[{"field": "geometry", "message": str(exc)}]
                      ) from None
    zone = shape(geometry)
    minx, miny, maxx, maxy = zone.bounds
    p = schema.register_persons
    rows = [r for r in _rows(scope, conn, p.c.lon.between(minx, maxx), p.c.lat.between(miny, maxy))
            if zone.covers(Point(r.lon, r.lat))]
    contacts = _contacts_of(scope, conn, [r.id for r in rows])
    audit_read(scope, conn, "polygon", [r.id for r in rows])
    return [person_json(r, contacts.get(r.id, [])) for r in rows]


# -- writing ------------------------------------------------------------------------------
def _store_contacts(scope, conn, person_id: int, contacts) -> None:
    k = schema.register_contacts
    conn.execute(k.delete().where(scope.owns(k), k.c.person_id == person_id))
    if contacts:
        conn.execute(k.insert(), [{"tenant_id": scope.tenant_id, "person_id": person_id,
                                   "position": i, **c} for i, c in enumerate(contacts)])


def enrol(scope: TenantScope, conn: Connection, body: Any) -> dict[str, Any]:
    """Enrol a person from the written request (the form); answers the stored record."""
    require_referent(scope, conn)
    values = validate_person(scope, conn, body)
    contacts = values.pop("contacts")
    now = clock.now_ms()
    person_id = scope.db.allocate_ids(conn, "register_persons")
    conn.execute(schema.register_persons.insert().values(
        tenant_id=scope.tenant_id, id=person_id, recorded_by=scope.principal.user_id,
        created_at=now, updated_at=now, confirmed_at=now, **values))
    _store_contacts(scope, conn, person_id, contacts)
    scope.audit(conn, "register.enrol", "register_person", person_id)
    return get_person(scope, conn, person_id)


def replace_person(scope: TenantScope, conn: Connection, person_id: int, body: Any
                   ) -> dict[str, Any]:
    """Rectify a record (the whole form again); counts as a re-confirmation."""
    require_referent(scope, conn)
    _person_row(scope, conn, person_id)
    values = validate_person(scope, conn, body)
    contacts = values.pop("contacts")
    now = clock.now_ms()
    p = schema.register_persons
    conn.execute(p.update().where(scope.owns(p), p.c.id == person_id).values(
        updated_at=now, confirmed_at=now, **values))
    _store_contacts(scope, conn, person_id, contacts)
    scope.audit(conn, "register.update", "register_person", person_id)
    return get_person(scope, conn, person_id)


def confirm(scope: TenantScope, conn: Connection, person_id: int) -> dict[str, Any]:
    """The person confirmed their enrolment (yearly campaign): the retention clock restarts."""
    require_referent(scope, conn)
    _person_row(scope, conn, person_id)
    p = schema.register_persons
    conn.execute(p.update().where(scope.owns(p), p.c.id == person_id).values(
        confirmed_at=clock.now_ms()))
    scope.audit(conn, "register.confirm", "register_person", person_id)
    return get_person(scope, conn, person_id)


def erase(scope: TenantScope, conn: Connection, person_ids: Sequence[int]) -> None:
    """Hard delete of records with their contacts and calls (no access check: callers)."""
    for table, column in ((schema.register_calls, "person_id"),
                          (schema.register_contacts, "person_id"),
                          (schema.register_persons, "id")):
        conn.execute(table.delete().where(scope.owns(table),
                                          table.c[column].in_(list(person_ids))))


def delete_person(scope: TenantScope, conn: Connection, person_id: int) -> dict[str, Any]:
    """Delete a record on request (radiation): nothing of it is kept; the audit keeps only
    the fact and the id."""
    require_referent(scope, conn)
    _person_row(scope, conn, person_id)
    erase(scope, conn, [person_id])
    scope.audit(conn, "register.delete", "register_person", person_id,
                {"reason": "request"})
    return {"deleted": person_id}


# -- export for the préfet ----------------------------------------------------------------
EXPORT_COLUMNS = ("Commune (INSEE)", "Nom", "Prénom", "Date de naissance", "Situation",
                  "Adresse", "Longitude", "Latitude", "Téléphones", "Vit seul(e)", "Besoins",
                  "Personnes à prévenir", "Médecin traitant", "Date de la demande",
                  "Demandée par", "Dernière confirmation")


def export_csv(scope: TenantScope, conn: Connection) -> str:
    """The register as the préfet receives it (art. R121-10 CASF): CSV, « ; » separated,
    UTF-8 with BOM (opens in a spreadsheet). Audited as ``register.export``."""
    require_referent(scope, conn)
    rows = _rows(scope, conn)
    contacts = _contacts_of(scope, conn, [r.id for r in rows])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for r in rows:
        writer.writerow([
            r.commune_insee, r.last_name, r.first_name, r.birth_date or "",
            CATEGORIES[r.category], r.address, f"{r.lon:.6f}", f"{r.lat:.6f}",
            " / ".join(orjson.loads(r.phones)), "oui" if r.lives_alone else "non",
            ", ".join(NEEDS[n] for n in orjson.loads(r.needs)),
            " / ".join(f"{c['name']} ({RELATIONS[c['relation']]}) {c['phone']}"
                       for c in contacts.get(r.id, [])),
            r.doctor or "", r.request_date,
            ENROLLED_BY[r.enrolled_by] + (f" : {r.requester}" if r.requester else ""),
            (clock.format_instant(r.confirmed_at) or "")[:10]])
    audit_read(scope, conn, "export", [r.id for r in rows], action="register.export")
    return "\ufeff" + out.getvalue()
