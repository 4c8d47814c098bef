"""Public lighting: control cabinets, luminaires, switching schedules and energy."""

from ...core.registry import Domain
from ...core.scheduler import Job
from . import compliance_cli  # noqa: F401  (registers its commands on the lighting group)
from .api import router
from .cabinet_programme import push_seasonal_steps
from .cli import lighting
from .commands import COMMANDS
from .detectors import DETECTORS
from .inventory import demo_inventory
from .kinds import KINDS
from .metrics import METRICS
from .settings import SETTINGS
from .simulator import simulate
from .web import MAP_STYLES, PAGES, PANELS, WEB_DIR

DOMAIN = Domain(
    key="lighting",
    label="Éclairage public",
    asset_kinds=KINDS,
    metrics=METRICS,
    demo_inventory=demo_inventory,
    simulator=simulate,
    commands=COMMANDS,
    detectors=DETECTORS,
    settings=SETTINGS,
    api_router=router,
    cli=lighting,
    jobs=(Job("lighting.seasonal_programmes", 3600,
              lambda db, registry, now: push_seasonal_steps(db, registry, now)),),
    web_dir=WEB_DIR,
    pages=PAGES,
    panels=PANELS,
    map_styles=MAP_STYLES,
)
