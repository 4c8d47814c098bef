"""Public buildings: energy and water meters, comfort and indoor air quality."""

from ...core.registry import DemoSpec, Domain
from .api import router
from .cli import buildings
from .impact import IMPACTS
from .kinds import KINDS
from .kpis import KPIS
from .metrics import METRICS
from .settings import SETTINGS
from .waste_detectors import DETECTORS as WASTE_DETECTORS
from .web import PAGES, PANELS, WEB_DIR

DEMO_RULES = (
    # Above 1,500 ppm a classroom's air is confined (ICONE index, décret 2022-1689 and
    # the Ministry's advice to air rooms beyond 800 ppm): worth an agent's visit.
    {"name": "Air confiné", "kind": "threshold", "metric": "air.co2",
     "severity": "warning", "renotify_after_s": 3600,
     "params": {"operator": "above", "value": 1500, "hysteresis": 200,
                "min_duration_s": 1800}},
)

DOMAIN = Domain(
    key="buildings",
    label="Bâtiments publics",
    asset_kinds=KINDS,
    metrics=METRICS,
    settings=SETTINGS,
    impacts=IMPACTS,
    kpis=KPIS,
    cli=buildings,
    api_router=router,
    web_dir=WEB_DIR, pages=PAGES, panels=PANELS,
    detectors=WASTE_DETECTORS,
    demo=DemoSpec(inventory="beffroi.domains.buildings.demo.inventory:demo_inventory",
                  simulator="beffroi.domains.buildings.demo.simulator:simulate",
                  rules=DEMO_RULES, story="beffroi.domains.buildings.demo.story:tell"),
)
