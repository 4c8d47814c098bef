"""Climate risks: river gauges and floods, weather, heat waves, forest fires."""

from ...core.registry import Domain
from .inventory import demo_inventory
from .kinds import KINDS
from .metrics import METRICS
from .simulator import simulate

DOMAIN = Domain(
    key="risks",
    label="Risques climatiques",
    asset_kinds=KINDS,
    metrics=METRICS,
    demo_inventory=demo_inventory,
    simulator=simulate,
)
