"""The e-mail contacts an alert's assets declare (``AssetKind.alert_contacts``): a school's
air referent told of the CO2 alerts of its rooms, subscribed or not.

The alert's asset and its ancestors (parent, grand-parent…) are read in the alert's own
tenant only; for each whose kind declares contacts, the addresses of the property are
taken when the alert's metric (that of its stream) or detector is one the contact asks
for. An address must look like one (``name@domain.tld``, no space): anything else in the
property is ignored, never sent to.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from sqlalchemy import Connection, select

from ..core.registry import Registry
from ..storage import schema

EMAIL = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")
MAX_DEPTH = 16  # a cycle of parents (never made by core) cannot loop


def addresses(value: Any) -> list[str]:
    """The well-formed addresses of a property value (« a@x.fr, b@y.fr »)."""
    if not isinstance(value, str):
        return []
    return [part for part in (p.strip() for p in re.split(r"[,;]", value))
            if EMAIL.match(part)]


def alert_contacts(conn: Connection, registry: Registry, alert: Any) -> list[str]:
    """Addresses (lower case, each once, in order) the alert's assets declare for it."""
    if alert.asset_id is None:
        return []
    metric = None
    if alert.stream_id is not None:
        s = schema.streams
        metric = conn.execute(select(s.c.metric).where(
            s.c.tenant_id == alert.tenant_id, s.c.id == alert.stream_id)).scalar()
    a = schema.assets
    found: list[str] = []
    asset_id, seen = alert.asset_id, set()
    while asset_id is not None and asset_id not in seen and len(seen) < MAX_DEPTH:
        seen.add(asset_id)
        row = conn.execute(select(a.c.kind, a.c.parent_id, a.c.properties).where(
            a.c.tenant_id == alert.tenant_id, a.c.id == asset_id)).first()
        if row is None:
            break
        kind = registry.asset_kinds.get(row.kind)
        if kind is not None and kind.alert_contacts:
            properties = orjson.loads(row.properties)
            for contact in kind.alert_contacts:
                wanted = not contact.metrics and not contact.detectors
                if metric is not None and metric in contact.metrics:
                    wanted = True
                if alert.detector is not None and alert.detector in contact.detectors:
                    wanted = True
                if wanted:
                    found += [e.lower() for e in addresses(properties.get(contact.property))]
        asset_id = row.parent_id
    return list(dict.fromkeys(found))
