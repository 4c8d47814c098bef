"""Drinking water: distribution sectors, mains, meters and reservoirs."""

from ...core.registry import Domain
from .api import router
from .cli import water
from .detectors import DETECTORS
from .inventory import demo_inventory
from .kinds import KINDS, LOGGER_ALARM_RULE
from .metrics import METRICS
from .settings import SETTINGS
from .simulator import simulate
from .web import PAGES, PANELS, WEB_DIR

DOMAIN = Domain(
    key="water",
    label="Eau potable",
    asset_kinds=KINDS,
    metrics=METRICS,
    demo_inventory=demo_inventory,
    simulator=simulate,
    api_router=router,
    demo_rules=(LOGGER_ALARM_RULE,),
    detectors=DETECTORS,
    cli=water,
    settings=SETTINGS,
    web_dir=WEB_DIR,
    pages=PAGES,
    panels=PANELS,
)
