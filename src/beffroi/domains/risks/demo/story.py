"""What the demo year's weather did to the territory (``DemoSpec.story``).

The winter flood of ``hydrology`` (mid-January, every gauge past its yellow then its orange
vigilance threshold): the gauges' level readings of the flood are run through the demo's
alert rules (the rapid-rise rule fires on the rising limb), and the river-vigilance
detector is run hour by hour over it (a yellow then orange flood alert per gauge, resolved
when the river is back under yellow). Core replays only the last weeks of history through
the rules; the flood is months back, so it is replayed here, on its own window, the rules'
running state of today being put back afterwards.

The July heat wave and the August fire-weather spell of ``simulator``: the heat-wave and
fire-danger detectors are run each evening over them, as the scheduler would have done
(an alert while the episode runs, resolved after it).

The vulnerable-persons register: a referent account (``REFERENT_EMAIL``, password « demo »)
and a dozen plainly fictitious persons, enrolled with their consent; some live in the
Moselle's flood zones (so the crisis view has people to call there).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
from shapely.geometry import shape
from sqlalchemy import delete, insert, select

from ....core import users
from ....core.access import CLI, load_principal, open_scope
from ....core.alerting import evaluation
from ....core.alerting.detectors import run_detector
from ....core.clock import PARIS
from ....core.registry import Registry
from ....storage import schema
from ....storage.database import Database
from ..register.persons import CONSENT_VERSION, enrol
from ..register.referents import grant_referent
from ..vigilance import GAUGE_KIND, LEVEL
from .hydrology import FLOOD_START_DOY
from .simulator import FIRE_SPELL_DAYS, HEAT_WAVE_DAYS

HOUR_MS = 3_600_000
REFERENT_EMAIL = "registre@beffroi.fr"
REFERENT_PASSWORD = "demo"
# (first name, last name, category, needs, lives alone, in a flood zone?) — fictitious.
PERSONS = (
    ("Odette", "Fictive", "senior", ["mobility"], True, True),
    ("Marcel", "Exemple", "senior", [], True, True),
    ("Germaine", "Démonstration", "senior", ["medical_device"], True, True),
    ("Lucien", "Imaginaire", "unfit_60", ["hearing"], False, True),
    ("Yvette", "Fictive", "senior", ["home_help", "sight"], True, False),
    ("René", "Inventé", "senior", [], False, False),
    ("Simone", "Exemple", "disabled", ["mobility", "home_help"], False, True),
    ("Paulette", "Modèle", "senior", ["cognitive"], True, False),
    ("Gaston", "Fictif", "senior", [], True, False),
    ("Huguette", "Essai", "senior", ["medical_device", "mobility"], False, False),
    ("Armand", "Démonstration", "unfit_60", [], True, False),
    ("Raymonde", "Imaginaire", "senior", ["sight"], True, True),
)
DETECTOR_KEY = "risks.river_vigilance"
BEFORE_H, AFTER_H = 24, 6 * 24  # the flood window around the start of the rise


def flood_start_ms(end_ms: int) -> int:
    """The start of the flood's rise within the year before ``end_ms`` (18 January)."""
    end = datetime.fromtimestamp(end_ms / 1000, PARIS)
    for year in (end.year, end.year - 1):
        start = datetime(year, 1, 1, tzinfo=PARIS) + timedelta(days=FLOOD_START_DOY - 1)
        if start.timestamp() * 1000 < end_ms - AFTER_H * HOUR_MS:
            return int(start.timestamp() * 1000)
    raise ValueError("no flood in the history")


def evenings(end_ms: int, first_doy: int, last_doy: int, hour: int) -> list[int]:
    """Each day from day-of-year ``first_doy`` to ``last_doy`` at ``hour`` local, in the
    latest year where they all fall before ``end_ms`` and within the year of history."""
    end = datetime.fromtimestamp(end_ms / 1000, PARIS)
    for year in (end.year, end.year - 1):
        days = [datetime(year, 1, 1, hour, tzinfo=PARIS) + timedelta(days=d - 1)
                for d in range(first_doy, last_doy + 1)]
        ms = [int(d.timestamp() * 1000) for d in days]
        if ms[-1] < end_ms and ms[0] > end_ms - 365 * 24 * HOUR_MS:
            return ms
    return []


def _homes(db: Database, tenant_id: int) -> tuple[list[tuple[str, tuple[float, float]]],
                                                  list[tuple[str, tuple[float, float]]]]:
    """(commune, (lon, lat)) points inside the flood zones, and at the communes' centres."""
    a, c = schema.assets, schema.communes
    with db.read() as conn:
        zones = [(r.commune_insee, shape(orjson.loads(r.geometry))) for r in conn.execute(
            select(a.c.commune_insee, a.c.geometry).where(
                a.c.tenant_id == tenant_id, a.c.kind == "risks.flood_zone").order_by(a.c.id))]
        towns = [(r.insee, shape(orjson.loads(r.boundary)).representative_point())
                 for r in conn.execute(select(c.c.insee, c.c.boundary).where(
                     c.c.tenant_id == tenant_id, c.c.boundary.is_not(None))
                     .order_by(c.c.insee))]
    inside = [(insee, (round(p.x, 5), round(p.y, 5))) for insee, zone in zones
              for p in [zone.representative_point()]]
    outside = [(insee, (round(p.x, 5), round(p.y, 5))) for insee, p in towns]
    return inside, outside


def _register(db: Database, tenant_id: int, end_ms: int) -> None:
    inside, outside = _homes(db, tenant_id)
    if not inside and not outside:
        return
    request_day = datetime.fromtimestamp(end_ms / 1000, PARIS).date() - timedelta(days=200)
    with db.write() as conn:
        u = schema.users
        if conn.execute(select(u.c.id).where(u.c.email == REFERENT_EMAIL)).first() is None:
            users.create_user(db, conn, email=REFERENT_EMAIL, name="Référente du registre "
                              "(démonstration)", password_hash=users.new_password_hash(
                                  REFERENT_PASSWORD, allow_short=True))
        account = users.find_user(conn, REFERENT_EMAIL)
        users.grant_membership(conn, tenant_id, account.id, "agent", None)
        grant_referent(open_scope(db, conn, CLI, tenant_id), conn, account.id)
        scope = open_scope(db, conn, load_principal(conn, account.id), tenant_id)
        for i, (first, last, category, needs, alone, flooded) in enumerate(PERSONS):
            homes = inside if flooded and inside else outside or inside
            insee, (lon, lat) = homes[i % len(homes)]
            jitter = 0.0003 * (i % 4)
            enrol(scope, conn, {
                "first_name": first, "last_name": last.upper(), "category": category,
                "commune": insee, "address": f"{10 + i} rue de l'Exemple (adresse fictive)",
                "location": {"type": "Point", "coordinates": [lon + jitter, lat + jitter]},
                "phones": [f"03 29 00 {i:02d} {(7 * i) % 100:02d}"], "needs": needs,
                "lives_alone": alone,
                "contacts": [] if alone else [{"name": f"Famille {last}", "relation": "family",
                                               "phone": f"06 00 00 {i:02d} 00"}],
                "notes": "Personne fictive de la démonstration.",
                "consent": {"given": True, "enrolled_by": "self",
                            "request_date": request_day.isoformat(),
                            "version": CONSENT_VERSION}})


def _level_streams(db: Database, tenant_id: int) -> list[int]:
    a, s = schema.assets, schema.streams
    with db.read() as conn:
        return [r.id for r in conn.execute(
            select(s.c.id).join(a, (a.c.tenant_id == s.c.tenant_id) & (a.c.id == s.c.asset_id))
            .where(s.c.tenant_id == tenant_id, a.c.kind == GAUGE_KIND, s.c.metric == LEVEL)
            .order_by(s.c.id))]


def _replay_rules(db: Database, registry: Registry, tenant_id: int, streams: list[int],
                  since: int, until: int) -> None:
    st, o = schema.alert_rule_states, schema.observations
    with db.write() as conn:  # today's running state, put back after the flood's replay
        kept = [dict(r._mapping) for r in conn.execute(select(st).where(
            st.c.tenant_id == tenant_id, st.c.stream_id.in_(streams)))]
        conn.execute(delete(st).where(st.c.tenant_id == tenant_id,
                                      st.c.stream_id.in_(streams)))
    series: dict[int, tuple[list[int], list[float]]] = {sid: ([], []) for sid in streams}
    with db.read() as conn:
        for sid, t, value in conn.execute(
                select(o.c.stream_id, o.c.t, o.c.value)
                .where(o.c.tenant_id == tenant_id, o.c.stream_id.in_(streams),
                       o.c.t >= since, o.c.t < until).order_by(o.c.stream_id, o.c.t)):
            series[sid][0].append(t)
            series[sid][1].append(value)
    with db.write() as conn:
        evaluation.on_observations(db, conn, registry, tenant_id,
                                   {k: v for k, v in series.items() if v[0]}, {})
        conn.execute(delete(st).where(st.c.tenant_id == tenant_id,
                                      st.c.stream_id.in_(streams)))
        if kept:
            conn.execute(insert(st), kept)


def tell(db: Database, registry: Registry, tenant_id: int, end_ms: int) -> None:
    start = flood_start_ms(end_ms)
    since, until = start - BEFORE_H * HOUR_MS, start + AFTER_H * HOUR_MS
    streams = _level_streams(db, tenant_id)
    if streams:
        _replay_rules(db, registry, tenant_id, streams, since, until)
    for at in range(since, until + 1, HOUR_MS):
        run_detector(db, registry, tenant_id, DETECTOR_KEY, at)
    _register(db, tenant_id, end_ms)
    # The summer: each evening of the heat wave and of the fire-weather spell, and a few
    # after (the episode over, its alert resolved).
    for key, (first, last) in (("risks.heatwave", HEAT_WAVE_DAYS),
                               ("risks.fire_danger", FIRE_SPELL_DAYS)):
        for at in evenings(end_ms, first - 2, last + 4, 20):
            run_detector(db, registry, tenant_id, key, at)
