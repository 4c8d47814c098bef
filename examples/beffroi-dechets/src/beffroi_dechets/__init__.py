"""Waste collection for Beffroi: containers with fill sensors, their fill level derived
from the ultrasonic distance, alerts when full or on fire, the daily round suggestion, a
dashboard and a map colouring. A domain outside Beffroi's tree, written against
``beffroi.plugin`` only (checked by its tests), as any third-party domain would be."""

from beffroi.plugin import DemoSpec, Domain

from .detectors import DETECTORS
from .kinds import KINDS
from .metrics import METRICS
from .routes import router
from .settings import SETTINGS
from .web import MAP_STYLES, PAGES, WEB_DIR

DOMAIN = Domain(
    key="waste",
    label="Collecte des déchets",
    asset_kinds=KINDS,
    metrics=METRICS,
    settings=SETTINGS,
    detectors=DETECTORS,
    api_router=router,
    web_dir=WEB_DIR,
    pages=PAGES,
    map_styles=MAP_STYLES,
    demo=DemoSpec(inventory="beffroi_dechets.demo:inventory",
                  simulator="beffroi_dechets.demo:simulate"),
)
