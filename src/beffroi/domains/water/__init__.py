"""Drinking water: distribution sectors, mains, meters and reservoirs."""

from ...core.registry import DemoSpec, Domain
from .api import router
from .cli import water
from .detectors import DETECTORS
from .impact import IMPACTS
from .kinds import KINDS
from .kpis import KPIS
from .metrics import METRICS
from .settings import SETTINGS
from .web import PAGES, PANELS, WEB_DIR

DOMAIN = Domain(
    key="water",
    label="Eau potable",
    asset_kinds=KINDS,
    metrics=METRICS,
    api_router=router,
    detectors=DETECTORS,
    kpis=KPIS,
    cli=water,
    settings=SETTINGS,
    impacts=IMPACTS,
    web_dir=WEB_DIR,
    pages=PAGES,
    panels=PANELS,
    demo=DemoSpec(inventory="beffroi.domains.water.demo.inventory:demo_inventory",
                  simulator="beffroi.domains.water.demo.simulator:simulate",
                  story="beffroi.domains.water.demo.story:tell"),
)
