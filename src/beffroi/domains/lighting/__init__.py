"""Public lighting: control cabinets, luminaires, switching schedules and energy."""

from ...core.jobs import Job
from ...core.registry import DemoSpec, Domain
from . import compliance_cli  # noqa: F401  (registers its commands on the lighting group)
from .api import router
from .cabinet_programme import push_seasonal_steps
from .cli import lighting
from .commands import COMMANDS
from .detectors import DETECTORS
from .impact import IMPACTS
from .kinds import KINDS
from .kpis import KPIS
from .metrics import METRICS
from .settings import SETTINGS
from .web import MAP_STYLES, PAGES, PANELS, WEB_DIR

DOMAIN = Domain(
    key="lighting",
    label="Éclairage public",
    asset_kinds=KINDS,
    metrics=METRICS,
    commands=COMMANDS,
    detectors=DETECTORS,
    kpis=KPIS,
    settings=SETTINGS,
    impacts=IMPACTS,
    api_router=router,
    cli=lighting,
    jobs=(Job("lighting.seasonal_programmes", 3600,
              lambda db, registry, now: push_seasonal_steps(db, registry, now)),),
    web_dir=WEB_DIR,
    pages=PAGES,
    panels=PANELS,
    map_styles=MAP_STYLES,
    demo=DemoSpec(inventory="beffroi.domains.lighting.demo.inventory:demo_inventory",
                  simulator="beffroi.domains.lighting.demo.simulator:simulate"),
)
