"""Export of a tenant's data as open formats: GeoJSON for places, CSV for series."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import orjson
from sqlalchemy import Connection, select

from ..storage import schema
from .access import TenantScope
from .assets import AssetFilter, feature_collection, list_assets
from .clock import format_instant
from .quality import QUALITY_NAMES
from .streams import list_streams
from .tenants import list_communes


def export_tenant(scope: TenantScope, conn: Connection, out_dir: Path, *,
                  observations: bool = True,
                  progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Write communes.geojson, assets.geojson, streams.csv and observations.csv.

    Each row of observations.csv names its stream by id (``stream_id``, first, as ever)
    and by equipment reference and metric (``asset_ref``, ``metric``): the territory's
    series import into another instance (``beffroi import observations``), where ids
    differ, as its inventory does (``beffroi import assets`` of assets.geojson)."""
    scope.require("read")
    out_dir.mkdir(parents=True, exist_ok=True)
    communes = list_communes(scope, conn)
    (out_dir / "communes.geojson").write_bytes(orjson.dumps({
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "id": c.insee,
                      "geometry": orjson.Fragment(c.boundary) if c.boundary else None,
                      "properties": {"insee": c.insee, "name": c.name, "population": c.population}}
                     for c in communes]}))
    rows, cursor, all_rows = [], None, []
    while True:
        rows, cursor = list_assets(scope, conn, AssetFilter(cursor=cursor, limit=10_000))
        all_rows += rows
        if not cursor:
            break
    refs = {r.id: r.ref for r in all_rows}
    (out_dir / "assets.geojson").write_bytes(feature_collection(all_rows, parent_refs=refs))
    streams = list_streams(scope, conn)
    with open(out_dir / "streams.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["stream_id", "asset_ref", "metric", "unit", "kind"])
        for s in streams:
            writer.writerow([s.id, refs.get(s.asset_id, ""), s.metric, s.unit, s.kind])
    count = 0
    if observations:
        o = schema.observations
        with open(out_dir / "observations.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["stream_id", "asset_ref", "metric", "time", "value", "quality"])
            for s in streams:
                ref = refs.get(s.asset_id, "")
                result = conn.execute(select(o.c.t, o.c.value, o.c.quality)
                                      .where(scope.owns(o), o.c.stream_id == s.id).order_by(o.c.t))
                for t, value, quality in result:
                    writer.writerow([s.id, ref, s.metric, format_instant(t), repr(value),
                                     QUALITY_NAMES.get(quality, "good")])
                    count += 1
                if progress:
                    progress(1)
    return {"communes": len(communes), "assets": len(all_rows), "streams": len(streams),
            "observations": count}
