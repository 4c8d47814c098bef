"""Public buildings: energy and water meters, comfort and indoor air quality."""

from ...core.registry import Domain
from .inventory import demo_inventory
from .kinds import KINDS
from .metrics import METRICS
from .simulator import simulate

DOMAIN = Domain(
    key="buildings",
    label="Bâtiments publics",
    asset_kinds=KINDS,
    metrics=METRICS,
    demo_inventory=demo_inventory,
    simulator=simulate,
)
