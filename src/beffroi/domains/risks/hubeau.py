"""Hub'Eau hydrometry connector: the territory's river gauges and their real-time levels.

Hub'Eau (``https://hubeau.eaufrance.fr/api/v2/hydrometrie``, operator setting
``BEFFROI_HUBEAU_URL``) republishes the SCHAPI's real-time observations (about 3,000
stations, one month of history). A tenant opts in with the setting
``risks.hubeau_enabled``; then:

- ``discover_stations(scope, conn, registry, client)`` reads ``referentiel/stations`` in
  the bounding box of the tenant's communes (their boundaries) plus ``MARGIN_KM``, and, for
  each river met, up to ``UPSTREAM_STATIONS`` stations upstream on the same river (Hydro
  station codes grow downstream along a river: the upstream ones are the largest codes
  below the territory's first one). Each becomes an ordinary ``risks.gauge`` asset, ref
  ``hubeau:<code>``, property ``station_code``, ``source`` = ``hubeau``, external id
  ``hubeau``; a gauge of the tenant that already has that ``station_code`` is adopted, not
  duplicated. Its stream ``hydro.level`` (m) is created at once, ``hydro.flow`` (m³/s) when
  the station first publishes a flow.
- ``poll_observations(scope, conn_factory, registry, client)`` asks ``observations_tr``, per
  station, for everything since the last stored time of its streams (``streams.last_t``;
  ``FIRST_DAYS`` back for a new station), sorted by date, follows the HTTP 206 pages
  (``next``), converts H mm → m and Q L/s → m³/s and stores each page through core's
  ingest (``(stream, t)`` is unique: a point asked twice is counted as a duplicate, never
  stored twice). After an outage the next poll starts from the last stored time, so the
  month Hub'Eau keeps is caught up without gap. Malformed items are skipped and counted.

Calls: ``HubEauClient`` (httpx, no proxy from the environment, no redirect, timeouts,
``size`` ≤ 20,000, a polite delay between requests, retries with exponential backoff on
429/5xx/network errors; ``next`` links are followed only on the configured host). The URL
is the operator's, not a tenant's: it is not subject to ``core.outbound``'s private-network
guard (tests serve fixtures on localhost).

Entry points: ``sync_tenant`` (CLI ``beffroi risks hubeau-sync --tenant T``) and the jobs
``risks.hubeau_sync`` (every ``POLL_INTERVAL_S``) and ``risks.hubeau_stations`` (daily).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from sqlalchemy import Connection, func, select

from ...core import assets as core_assets
from ...core.access import SYSTEM, Principal, TenantScope, open_scope
from ...core.clock import DAY_MS, format_instant, now_ms, parse_instant
from ...core.errors import Invalid
from ...core.observations import MAX_BATCH, ingest
from ...core.registry import Registry
from ...core.settings import setting
from ...core.streams import ensure_stream
from ...storage import schema
from ...storage.database import Database
from .settings import HUBEAU_ENABLED

URL_ENV = "BEFFROI_HUBEAU_URL"
DEFAULT_URL = "https://hubeau.eaufrance.fr/api/v2/hydrometrie"
GAUGE_KIND = "risks.gauge"
SOURCE = "hubeau"
REF_PREFIX = "hubeau:"
MARGIN_KM = 10.0
UPSTREAM_STATIONS = 3
FIRST_DAYS = 30  # Hub'Eau keeps one month of real-time history
PAGE_SIZE = 5_000
MAX_PAGE_SIZE = 20_000  # Hub'Eau's limit per page
TIMEOUT_S = 30.0
RETRIES = 3
BACKOFF_S = 2.0  # 2, 4, 8 s between attempts
POLITE_DELAY_S = 0.5  # between two requests
MAX_PAGES = 200  # a runaway cursor stops here
POLL_INTERVAL_S = 300
SITE_CODE_LENGTH = 8  # Sandre: site hydrométrique code; a station's code adds 2 characters
STATION_FIELDS = ("code_station,libelle_station,longitude_station,latitude_station,"
                  "code_cours_eau,libelle_cours_eau,code_commune_station,en_service")
# grandeur_hydro -> (metric, factor to SI)
GRANDEURS = {"H": ("hydro.level", 0.001), "Q": ("hydro.flow", 0.001)}
SUSPECT_QUALIFICATIONS = {12}  # Sandre: « douteuse »
log = logging.getLogger("beffroi.risks.hubeau")
# Who stores the polled observations: full rights and, like a device's readings, not audited
# (a poll every 5 minutes would fill the audit log); stations created are audited (SYSTEM).
POLLER = Principal(is_operator_admin=True)


class HubEauUnavailable(Exception):
    """Hub'Eau did not answer usefully after the retries (French message)."""


def base_url() -> str:
    return (os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")


# -- calls -------------------------------------------------------------------------------------
class HubEauClient:
    """GETs of Hub'Eau pages, with timeouts, retries, backoff and a polite delay."""

    def __init__(self, url: str | None = None, *, timeout_s: float | None = None,
                 retries: int | None = None, backoff_s: float | None = None,
                 delay_s: float | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        timeout_s = TIMEOUT_S if timeout_s is None else timeout_s
        retries = RETRIES if retries is None else retries
        backoff_s = BACKOFF_S if backoff_s is None else backoff_s
        delay_s = POLITE_DELAY_S if delay_s is None else delay_s
        self.url = (url or base_url()).rstrip("/")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Invalid(f"{URL_ENV} : adresse http(s)://… attendue.")
        self._origin = (parts.scheme, parts.netloc)
        self.retries, self.backoff_s, self.delay_s, self.sleep = retries, backoff_s, delay_s, sleep
        self.requests = 0
        self._http = httpx.Client(timeout=timeout_s, trust_env=False, follow_redirects=False,
                                  headers={"Accept": "application/json",
                                           "User-Agent": "Beffroi (hyperviseur territorial)"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubEauClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _get(self, url: str, params: dict[str, Any] | None) -> dict[str, Any]:
        problem = "pas de réponse"
        for attempt in range(self.retries + 1):
            if self.requests:
                self.sleep(self.delay_s)
            if attempt:
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
            self.requests += 1
            try:
                response = self._http.get(url, params=params)
            except httpx.HTTPError as exc:
                problem = f"connexion impossible ({type(exc).__name__})"
                continue
            if response.status_code in (200, 206):
                try:
                    body = orjson.loads(response.content)
                except orjson.JSONDecodeError:
                    problem = "réponse illisible (JSON attendu)"
                    continue
                if not isinstance(body, dict) or not isinstance(body.get("data", []), list):
                    raise HubEauUnavailable("Hub'Eau : réponse inattendue (objet avec « data » "
                                            "attendu).")
                return body
            problem = f"HTTP {response.status_code}"
            if response.status_code != 429 and response.status_code < 500:
                break  # a request error: asking again would not help
        raise HubEauUnavailable(f"Hub'Eau indisponible : {problem}.")

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        """The ``data`` of each page of ``path``, following ``next`` on HTTP 206."""
        body = self._get(f"{self.url}/{path}", params)
        for _ in range(MAX_PAGES):
            yield body.get("data") or []
            following = body.get("next")
            if not following:
                return
            parts = urlsplit(str(following))
            if (parts.scheme, parts.netloc) != self._origin:
                raise HubEauUnavailable("Hub'Eau : page suivante sur un autre hôte, ignorée.")
            body = self._get(str(following), None)
        log.warning("Hub'Eau: more than %d pages for %s, stopped", MAX_PAGES, path)


# -- stations ----------------------------------------------------------------------------------
def tenant_bbox(scope: TenantScope, conn: Connection,
                margin_km: float = MARGIN_KM) -> tuple[float, float, float, float]:
    """The bounding box of the tenant's commune boundaries, widened by ``margin_km``."""
    c = schema.communes
    row = conn.execute(select(func.min(c.c.minx), func.min(c.c.miny), func.max(c.c.maxx),
                              func.max(c.c.maxy)).where(scope.owns(c),
                                                        c.c.boundary.is_not(None))).first()
    if row is None or row[0] is None:
        raise Invalid("Aucune commune du territoire n'a de contour : importez les contours "
                      "des communes avant de chercher les stations Hub'Eau.")
    minx, miny, maxx, maxy = row
    dlat = margin_km / 111.32
    dlon = margin_km / (111.32 * math.cos(math.radians((miny + maxy) / 2)))
    return (round(minx - dlon, 5), round(miny - dlat, 5), round(maxx + dlon, 5),
            round(maxy + dlat, 5))


def _station(item: Any) -> dict[str, Any] | None:
    """A usable station of ``referentiel/stations``, or None."""
    if not isinstance(item, dict):
        return None
    code, lon, lat = item.get("code_station"), item.get("longitude_station"), \
        item.get("latitude_station")
    if not isinstance(code, str) or not code.strip() or item.get("en_service") is False:
        return None
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (lon, lat)):
        return None
    return {"code": code.strip(), "name": str(item.get("libelle_station") or code).strip(),
            "lon": float(lon), "lat": float(lat), "river_code": item.get("code_cours_eau"),
            "river": item.get("libelle_cours_eau"), "commune": item.get("code_commune_station")}


def _stations(client: HubEauClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for page in client.pages("referentiel/stations", {"format": "json", "en_service": "true",
                                                      "fields": STATION_FIELDS,
                                                      "size": PAGE_SIZE, **params}):
        found += [s for s in map(_station, page) if s is not None]
    return found


def upstream_of(local: list[dict[str, Any]], same_river: list[dict[str, Any]],
                count: int = UPSTREAM_STATIONS) -> list[dict[str, Any]]:
    """The ``count`` stations of a river just upstream of the territory's: Hydro codes grow
    downstream, so those of the sites with the largest codes below the territory's
    smallest site. A station's code (10 characters in the Hydro référentiel v2) is its site's
    (8 characters) plus 2: the comparison is on the site, so that another station of a
    territory's site is never taken for an upstream one."""
    first = min(_site(s["code"]) for s in local)
    above = sorted((s for s in same_river if _site(s["code"]) < first),
                   key=lambda s: s["code"])
    return above[-count:] if count else []


def _site(code: str) -> str:
    return code[:SITE_CODE_LENGTH]


def _gauges_by_code(scope: TenantScope, conn: Connection) -> dict[str, Any]:
    a = schema.assets
    out = {}
    for row in conn.execute(select(a.c.id, a.c.ref, a.c.properties).where(
            scope.owns(a), a.c.kind == GAUGE_KIND)):
        code = orjson.loads(row.properties or "{}").get("station_code")
        if code:
            out[str(code)] = row
        elif row.ref.startswith(REF_PREFIX):
            out[row.ref[len(REF_PREFIX):]] = row
    return out


@dataclass
class Discovery:
    found: int = 0  # stations of the bbox and upstream
    created: int = 0
    adopted: int = 0  # already there (same station_code)
    upstream: int = 0


def discover_stations(scope: TenantScope, conn: Connection, registry: Registry,
                      client: HubEauClient) -> Discovery:
    """Create the gauges of the territory (bbox + margin) and of the rivers upstream."""
    scope.require("write")
    minx, miny, maxx, maxy = tenant_bbox(scope, conn)
    local = _stations(client, {"bbox": f"{minx},{miny},{maxx},{maxy}"})
    stations = {s["code"]: s for s in local}
    report = Discovery()
    by_river: dict[str, list[dict[str, Any]]] = {}
    for s in local:
        if s["river_code"]:
            by_river.setdefault(str(s["river_code"]), []).append(s)
    for river_code, on_river in sorted(by_river.items()):
        for s in upstream_of(on_river, _stations(client, {"code_cours_eau": river_code})):
            if s["code"] not in stations:
                stations[s["code"]] = s
                report.upstream += 1
    report.found = len(stations)
    communes = {r.insee for r in conn.execute(select(schema.communes.c.insee)
                                              .where(scope.owns(schema.communes)))}
    known = _gauges_by_code(scope, conn)
    for code, s in sorted(stations.items()):
        if code in known:
            report.adopted += 1
            asset_id = known[code].id
        else:
            props = {"station_code": code, "source": SOURCE}
            if s["river"]:
                props["river"] = str(s["river"])
            asset = core_assets.create_asset(scope, conn, registry, {
                "ref": REF_PREFIX + code, "kind": GAUGE_KIND, "name": s["name"][:300],
                "commune": s["commune"] if s["commune"] in communes else None,
                "geometry": {"type": "Point", "coordinates": [s["lon"], s["lat"]]},
                "properties": props, "external_ids": {"hubeau": code}})
            report.created += 1
            asset_id = asset.id
        ensure_stream(scope, conn, registry, asset_id, "hydro.level")
    return report


# -- observations ------------------------------------------------------------------------------
@dataclass
class PollReport:
    stations: int = 0
    pages: int = 0
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    malformed: int = 0  # skipped items of Hub'Eau (not a station's, no date, no number…)
    rejected: int = 0  # refused by core's ingest (out of the metric's plausible range…)
    failed: list[str] = field(default_factory=list)  # station codes not caught up (French)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def parse_observation(item: Any, code: str) -> tuple[str, int, float, str] | None:
    """(metric, epoch ms, SI value, quality) of an ``observations_tr`` item of station
    ``code``, or None when it is malformed."""
    if not isinstance(item, dict) or item.get("code_station") != code:
        return None
    grandeur = GRANDEURS.get(item.get("grandeur_hydro"))  # type: ignore[arg-type]
    value = item.get("resultat_obs")
    if grandeur is None or isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value):
        return None
    try:
        t = parse_instant(item.get("date_obs"))  # type: ignore[arg-type]
    except ValueError:
        return None
    quality = "suspect" if item.get("code_qualification_obs") in SUSPECT_QUALIFICATIONS \
        else "good"
    metric, factor = grandeur
    return metric, t, round(value * factor, 6), quality


def _station_streams(scope: TenantScope, conn: Connection) -> dict[str, dict[str, Any]]:
    """Per station code: asset id and, per metric, (stream id, last_t)."""
    gauges = _gauges_by_code(scope, conn)
    s = schema.streams
    by_asset = {row.id: code for code, row in gauges.items()}
    out: dict[str, dict[str, Any]] = {code: {"asset_id": row.id, "streams": {}}
                                      for code, row in gauges.items()}
    if by_asset:
        for row in conn.execute(select(s.c.id, s.c.asset_id, s.c.metric, s.c.last_t).where(
                scope.owns(s), s.c.asset_id.in_(sorted(by_asset)),
                s.c.metric.in_([m for m, _ in GRANDEURS.values()]))):
            out[by_asset[row.asset_id]]["streams"][row.metric] = (row.id, row.last_t)
    return out


def poll_observations(db: Database, tenant: int | str, registry: Registry,
                      client: HubEauClient, *, now: int | None = None,
                      progress: Callable[[int, int, PollReport], None] | None = None
                      ) -> PollReport:
    """Catch every gauge of the tenant up from its last stored time; each page is stored in
    its own transaction, so an interruption loses nothing already received."""
    now = now_ms() if now is None else now
    with db.read() as conn:
        scope = open_scope(db, conn, POLLER, tenant)
        stations = _station_streams(scope, conn)
    report = PollReport(stations=len(stations))
    for done, (code, known) in enumerate(sorted(stations.items()), start=1):
        lasts = [last for _, last in known["streams"].values() if last is not None]
        # A stream silent for longer than Hub'Eau's history does not hold the others back.
        floor = now - FIRST_DAYS * DAY_MS
        since = max(min(lasts), floor) if lasts else floor
        params = {"code_entite": code, "date_debut_obs": format_instant(since),
                  "sort": "asc", "size": min(PAGE_SIZE, MAX_PAGE_SIZE)}
        try:
            for page in client.pages("observations_tr", params):
                report.pages += 1
                _store_page(db, tenant, registry, code, known, page, report)
        except HubEauUnavailable as exc:
            report.failed.append(f"{code} : {exc}")
            log.warning("Hub'Eau station %s not caught up: %s", code, exc)
        if progress:
            progress(done, len(stations), report)
    if report.malformed:
        log.warning("Hub'Eau: %d malformed observation(s) skipped", report.malformed)
    return report


def _store_page(db: Database, tenant: int | str, registry: Registry, code: str,
                known: dict[str, Any], page: list[Any], report: PollReport) -> None:
    report.received += len(page)
    parsed = []
    for item in page:
        obs = parse_observation(item, code)
        if obs is None:
            report.malformed += 1
        else:
            parsed.append(obs)
    if not parsed:
        return
    with db.write() as conn:
        scope = open_scope(db, conn, POLLER, tenant)
        items = []
        for metric, t, value, quality in parsed:
            if metric not in known["streams"]:
                known["streams"][metric] = (ensure_stream(scope, conn, registry,
                                                          known["asset_id"], metric), None)
            items.append({"stream_id": known["streams"][metric][0], "time": format_instant(t),
                          "value": value, "quality": quality})
        for start in range(0, len(items), MAX_BATCH):
            result = ingest(scope, conn, registry, items[start:start + MAX_BATCH])
            report.stored += result.stored
            report.duplicates += result.duplicates
            report.rejected += len(result.rejected)


# -- whole tenant, jobs ------------------------------------------------------------------------
def enabled(tenant_settings: Any, registry: Registry) -> bool:
    return bool(setting(tenant_settings, registry, HUBEAU_ENABLED))


def sync_tenant(db: Database, tenant: int | str, registry: Registry,
                client: HubEauClient | None = None, *, discover: bool = True,
                now: int | None = None,
                progress: Callable[[int, int, PollReport], None] | None = None
                ) -> dict[str, Any]:
    """Discover the stations (unless ``discover`` is False) then poll them all."""
    own = client is None
    client = client or HubEauClient()
    try:
        found = None
        if discover:
            with db.write() as conn:
                scope = open_scope(db, conn, SYSTEM, tenant)
                found = discover_stations(scope, conn, registry, client)
        polled = poll_observations(db, tenant, registry, client, now=now, progress=progress)
    finally:
        if own:
            client.close()
    return {"stations": None if found is None else found.__dict__,
            "observations": polled.as_dict()}


def _enabled_tenants(db: Database, registry: Registry) -> list[int]:
    t = schema.tenants
    with db.read() as conn:
        return [row.id for row in conn.execute(select(t.c.id, t.c.settings))
                if enabled(row.settings, registry)]


def _has_stations(db: Database, tenant_id: int) -> bool:
    a = schema.assets
    with db.read() as conn:
        return conn.execute(select(a.c.id).where(a.c.tenant_id == tenant_id,
                                                 a.c.kind == GAUGE_KIND).limit(1)).first() \
            is not None


def run_poll_job(db: Database, registry: Registry, now: int,
                 client_factory: Callable[[], AbstractContextManager[HubEauClient]]
                 = HubEauClient) -> None:
    """Job ``risks.hubeau_sync``: poll every opted-in tenant (first time: find stations)."""
    tenants = _enabled_tenants(db, registry)
    if not tenants:
        return
    with client_factory() as client:
        for tenant_id in tenants:
            try:
                sync_tenant(db, tenant_id, registry, client,
                            discover=not _has_stations(db, tenant_id), now=now)
            except (Invalid, HubEauUnavailable) as exc:
                log.warning("Hub'Eau sync of tenant %s: %s", tenant_id, exc)


def run_stations_job(db: Database, registry: Registry, now: int) -> None:
    """Job ``risks.hubeau_stations``: refresh the stations of every opted-in tenant."""
    tenants = _enabled_tenants(db, registry)
    if not tenants:
        return
    with HubEauClient() as client:
        for tenant_id in tenants:
            try:
                with db.write() as conn:
                    discover_stations(open_scope(db, conn, SYSTEM, tenant_id), conn,
                                      registry, client)
            except (Invalid, HubEauUnavailable) as exc:
                log.warning("Hub'Eau stations of tenant %s: %s", tenant_id, exc)
