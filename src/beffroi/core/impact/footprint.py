"""The platform's own footprint over the period, subtracted from what it saved.

Three parts, each from the territory's data and its ``impact.*`` settings (``settings``):

- **devices** — making the connected devices of the inventory (table ``devices``, those of
  the report's assets): each type's embodied kg CO2e spread over its lifetime, counted for
  the part of the period it was in service — from its registration, or from its asset's
  first measurement of the period when that came earlier (a device registered after it had
  been sending, an inventory loaded after the history). A device with a DevEUI is a
  LoRaWAN sensor or controller, any other a connected device on mains (IP, MQTT). Assets measured without a
  device in the inventory (meters read by another system, public data) are listed, not
  counted: their hardware is not the platform's.
- **connectivity** — every measurement received (core's daily rollups count them; a message
  carrying several measurements is counted several times: an upper bound) × the emissions
  of a message, plus the LoRaWAN gateways (the territory's count, else the gateways that
  heard its devices last): their electricity over the period and their making spread over
  their lifetime.
- **hosting** — the server's average power × the hours of the period × the data centre's PUE
  × the territory's share of the server (× the report's communes' share of the territory's
  assets when it covers some communes only); kWh × the electricity factor and price.

Counts are measured, factors assumed: devices and connectivity are estimated, hosting
assumed. The euros are the electricity of gateways and hosting only: buying the devices and
the subscriptions are not counted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select

from ...storage import schema
from . import settings as s
from .sources import ImpactContext, total

YEAR_MS = 365.25 * 86_400_000
HOUR_MS = 3_600_000
DEVICE_TYPES = {
    "lorawan": ("Capteurs et contrôleurs LoRaWAN", s.LORAWAN_KG, s.LORAWAN_YEARS),
    "other": ("Autres équipements connectés (IP, MQTT)", s.OTHER_KG, s.OTHER_YEARS),
}
SETTINGS = (s.LORAWAN_KG, s.LORAWAN_YEARS, s.OTHER_KG, s.OTHER_YEARS, s.MESSAGE_KG,
            s.GATEWAYS, s.GATEWAY_POWER, s.GATEWAY_KG, s.GATEWAY_YEARS, s.SERVER_POWER,
            s.SERVER_SHARE, s.PUE, s.GRID, s.ELECTRICITY_PRICE)


def _assets(ctx: ImpactContext, table=schema.assets):
    clause = ctx.scope.asset_visible(table)
    if ctx.communes is not None:
        clause = and_(clause, table.c.commune_insee.in_(ctx.communes))
    return clause


def measured_assets(ctx: ImpactContext) -> dict[int, tuple[int, int, int]]:
    """Asset id -> (measurements received in the period, first and last day bucket), for
    the report's assets that received any."""
    a, st, d = schema.assets, schema.streams, schema.rollups_daily
    rows = ctx.conn.execute(
        select(st.c.asset_id, func.sum(d.c.count), func.min(d.c.bucket), func.max(d.c.bucket))
        .select_from(d)
        .join(st, and_(st.c.tenant_id == d.c.tenant_id, st.c.id == d.c.stream_id))
        .join(a, and_(a.c.tenant_id == st.c.tenant_id, a.c.id == st.c.asset_id))
        .where(d.c.tenant_id == ctx.scope.tenant_id, _assets(ctx), d.c.bucket >= ctx.start_ms,
               d.c.bucket < ctx.end_ms)
        .group_by(st.c.asset_id))
    return {asset_id: (int(count), int(first), int(last))
            for asset_id, count, first, last in rows}


def _devices(ctx: ImpactContext, measured: dict[int, tuple[int, int, int]]
             ) -> list[tuple[Any, int]]:
    """(device, in service since: epoch ms) of the report's assets' devices in service
    before the period's end; devices attached to no asset belong to a report of the whole
    territory only."""
    dv, a = schema.devices, schema.assets
    visible = select(a.c.id).where(_assets(ctx))
    clause = dv.c.asset_id.in_(visible)
    if ctx.communes is None and ctx.scope.communes is None and ctx.scope.kinds is None:
        clause = clause | dv.c.asset_id.is_(None)
    out = []
    for row in ctx.conn.execute(
            select(dv.c.id, dv.c.asset_id, dv.c.dev_eui, dv.c.created_at, dv.c.last_gateway)
            .where(ctx.scope.owns(dv), clause).order_by(dv.c.id)):
        since = row.created_at
        if row.asset_id in measured:
            since = min(since, measured[row.asset_id][1])
        if since < ctx.end_ms:
            out.append((row, since))
    return out


def _years(ctx: ImpactContext, since: int) -> float:
    """Years of the period after ``since`` (epoch ms)."""
    return max(0, ctx.end_ms - max(ctx.start_ms, since)) / YEAR_MS


def devices_part(ctx: ImpactContext, devices: list[tuple[Any, int]],
                 measured: dict[int, Any]) -> dict[str, Any]:
    detail = []
    for key, (label, kg_key, years_key) in DEVICE_TYPES.items():
        mine = [(d, since) for d, since in devices if (d.dev_eui is not None) == (key == "lorawan")]
        per_year = float(ctx.setting(kg_key)) / float(ctx.setting(years_key))
        detail.append({"label": label, "count": len(mine),
                       "kgco2e": sum((per_year * _years(ctx, since) for _, since in mine), 0.0)})
    equipped = {d.asset_id for d, _ in devices}
    unlisted = sum(1 for asset_id in measured if asset_id not in equipped)
    detail.append({"label": "Équipements mesurés sans capteur à l'inventaire (non comptés)",
                   "count": unlisted, "kgco2e": None})
    return {"key": "devices", "label": "Fabrication des capteurs",
            "kgco2e": total([row["kgco2e"] for row in detail]) or 0.0, "kwh": None,
            "eur": None, "quality": "estimated",
            "method": ("Émissions de fabrication de chaque capteur de l'inventaire, réparties "
                       "sur sa durée de vie et comptées pour la part de la période où il "
                       "était en service (depuis son inscription, ou la première mesure de "
                       "son équipement sur la période si elle est antérieure) : LoRaWAN (avec "
                       "DevEUI) ou autre équipement connecté. "
                       "Les équipements mesurés sans capteur inscrit (compteurs relevés par "
                       "un autre système, données publiques) ne sont pas comptés."),
            "detail": detail}


def connectivity_part(ctx: ImpactContext, devices: list[tuple[Any, int]],
                      measured: dict[int, Any]) -> dict[str, Any]:
    messages = sum(count for count, _, _ in measured.values())
    message_kg = messages * float(ctx.setting(s.MESSAGE_KG))
    set_count = int(ctx.setting(s.GATEWAYS) or 0)
    heard = len({d.last_gateway for d, _ in devices if d.last_gateway})
    gateways = set_count or heard
    hours = (ctx.end_ms - ctx.start_ms) / HOUR_MS
    kwh = gateways * float(ctx.setting(s.GATEWAY_POWER)) / 1000 * hours
    embodied = gateways * float(ctx.setting(s.GATEWAY_KG)) / float(ctx.setting(
        s.GATEWAY_YEARS)) * (ctx.end_ms - ctx.start_ms) / YEAR_MS
    grid = float(ctx.setting(s.GRID))
    origin = "paramètre impact.gateway_count" if set_count else \
        "passerelles ayant reçu le dernier message des capteurs"
    return {"key": "connectivity", "label": "Connectivité (messages et passerelles)",
            "kgco2e": message_kg + kwh * grid + embodied, "kwh": kwh,
            "eur": kwh * float(ctx.setting(s.ELECTRICITY_PRICE)), "quality": "estimated",
            "method": ("Mesures reçues sur la période (une mesure comptée comme un message : "
                       "majorant) × émissions d'un message ; passerelles LoRaWAN : électricité "
                       "sur la période × facteur d'émission, et fabrication répartie sur leur "
                       f"durée de vie ({origin})."),
            "detail": [{"label": "Messages reçus", "count": messages, "kgco2e": message_kg},
                       {"label": "Passerelles LoRaWAN", "count": gateways,
                        "kgco2e": kwh * grid + embodied}]}


def _asset_share(ctx: ImpactContext) -> float:
    """The report's communes' share of the territory's assets (1 for the whole territory)."""
    if ctx.communes is None:
        return 1.0
    a = schema.assets
    every = ctx.conn.execute(select(func.count()).select_from(a).where(
        a.c.tenant_id == ctx.scope.tenant_id)).scalar_one()
    mine = ctx.conn.execute(select(func.count()).select_from(a).where(
        a.c.tenant_id == ctx.scope.tenant_id, a.c.commune_insee.in_(ctx.communes))
    ).scalar_one()
    return mine / every if every else 0.0


def hosting_part(ctx: ImpactContext) -> dict[str, Any]:
    hours = (ctx.end_ms - ctx.start_ms) / HOUR_MS
    share = float(ctx.setting(s.SERVER_SHARE))
    communes = _asset_share(ctx)
    kwh = (float(ctx.setting(s.SERVER_POWER)) / 1000 * hours * float(ctx.setting(s.PUE))
           * share * communes)
    scope_text = "" if ctx.communes is None else \
        f" × part des équipements du territoire dans les communes du rapport ({communes:.1%})"
    return {"key": "hosting", "label": "Hébergement de la plateforme",
            "kgco2e": kwh * float(ctx.setting(s.GRID)), "kwh": kwh,
            "eur": kwh * float(ctx.setting(s.ELECTRICITY_PRICE)), "quality": "assumed",
            "method": ("Puissance moyenne du serveur × heures de la période × PUE du centre de "
                       f"données × part du serveur attribuée au territoire{scope_text} ; kWh × "
                       "facteur d'émission et prix de l'électricité."),
            "detail": [{"label": "Heures de fonctionnement", "count": hours,
                        "kgco2e": None}]}


def footprint(ctx: ImpactContext, measured: dict[int, tuple[int, int, int]]
              ) -> dict[str, Any]:
    """The ``footprint`` section: its parts and their totals."""
    devices = _devices(ctx, measured)
    parts = [devices_part(ctx, devices, measured), connectivity_part(ctx, devices, measured),
             hosting_part(ctx)]
    return {"kgco2e": total([p["kgco2e"] for p in parts]),
            "kwh": total([p["kwh"] for p in parts]),
            "eur": total([p["eur"] for p in parts]), "parts": parts}

