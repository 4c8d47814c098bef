"""The waste domain's detectors (``Domain.detectors``): a full container, a fire.

Both read each container's latest values (kept on its streams by ingest), every few
minutes: a finding opens an alert on the container, and the alert is resolved by itself
once the finding is gone (the container emptied, the temperature back to normal).
"""

from __future__ import annotations

from collections.abc import Iterator

from beffroi.plugin import DetailField, Detector, Finding, latest, parse_instant, series, setting

from .fire import fire_sign
from .kinds import CONTAINER
from .metrics import FILL, TEMPERATURE
from .settings import FILL_ALERT, FIRE_RISE, FIRE_TEMPERATURE, FIRE_WINDOW

FULL_KEY = "waste.full"
FIRE_KEY = "waste.fire"


def full_containers(ctx) -> Iterator[Finding]:
    """Containers whose latest fill level reaches the territory's alert threshold."""
    threshold = setting(ctx.scope.settings, ctx.registry, FILL_ALERT)
    for item in latest(ctx.scope, ctx.conn, kind=CONTAINER.key):
        if item["metric"] != FILL or item["value"] is None or item["value"] < threshold:
            continue
        yield Finding(item["asset_id"], f"Conteneur plein (seuil {threshold:g} %)", "warning",
                      details={"fill_percent": item["value"], "threshold_percent": threshold,
                               "measured_at": item["time"]},
                      at=parse_instant(item["time"]))


def fires(ctx) -> Iterator[Finding]:
    """Containers whose latest temperature is high, or has risen fast (``fire``)."""
    s = ctx.scope.settings
    threshold = setting(s, ctx.registry, FIRE_TEMPERATURE)
    rise = setting(s, ctx.registry, FIRE_RISE)
    window_ms = setting(s, ctx.registry, FIRE_WINDOW) * 60_000
    for item in latest(ctx.scope, ctx.conn, kind=CONTAINER.key):
        if item["metric"] != TEMPERATURE or item["time"] is None:
            continue
        last = parse_instant(item["time"])
        points = series(ctx.scope, ctx.conn, item["stream_id"], last - window_ms,
                        last + 1)["points"]
        sign = fire_sign([parse_instant(p[0]) for p in points], [p[1] for p in points],
                         threshold, rise, window_ms)
        if sign is None:
            continue
        title = (f"Feu probable : {sign.temperature_c:.0f} °C dans le conteneur"
                 if sign.reason == "threshold" else
                 f"Feu probable : +{sign.rise_c:.0f} °C en moins de "
                 f"{window_ms // 60_000} min dans le conteneur")
        yield Finding(item["asset_id"], title, "critical",
                      details={"temperature_c": sign.temperature_c, "rise_c": sign.rise_c,
                               "reason": sign.reason, "threshold_c": threshold,
                               "window_min": window_ms // 60_000},
                      at=sign.at_ms)


DETECTORS = (
    Detector(FULL_KEY, "Conteneur plein", 600, full_containers, metrics=(FILL,), details=(
        DetailField("fill_percent", "Taux de remplissage", "percent", digits=0),
        DetailField("threshold_percent", "Seuil d'alerte", "percent", digits=0),
        DetailField("measured_at", "Mesuré le", "instant"))),
    Detector(FIRE_KEY, "Feu de conteneur", 120, fires, renotify_after_s=3600,
             metrics=(TEMPERATURE,), details=(
        DetailField("temperature_c", "Température", unit="Cel", digits=0),
        DetailField("rise_c", "Hausse sur la durée observée", unit="Cel", digits=0),
        DetailField("reason", "Signe", "choice", choices={
            "threshold": "température au-dessus du seuil", "rise": "hausse rapide"}),
        DetailField("threshold_c", "Seuil de température", unit="Cel", digits=0),
        DetailField("window_min", "Durée observée", unit="min", digits=0))),
)
