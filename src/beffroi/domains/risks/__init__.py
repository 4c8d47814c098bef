"""Climate risks: river gauges and floods, weather, heat waves, forest fires."""

from ...core.jobs import Job
from ...core.registry import DemoSpec, Domain
from . import hubeau
from .api import router
from .cli import risks
from .detectors import DETECTORS
from .impact import IMPACTS
from .kinds import KINDS
from .kpis import KPIS
from .metrics import METRICS
from .personal_data import PERSONAL_DATA
from .population_alert import retry_job
from .register.retention import SETTINGS as REGISTER_SETTINGS
from .register.retention import purge_unconfirmed
from .settings import SETTINGS
from .web import PAGES, PANELS, WEB_DIR

DEMO_RULES = (
    {"name": "Montée rapide du cours d'eau", "kind": "rate_of_change",
     "metric": "hydro.level", "severity": "critical",
     "params": {"direction": "rise", "amount": 0.15, "window_s": 3600}},
    {"name": "Vent violent", "kind": "threshold", "metric": "weather.wind_speed",
     "severity": "warning",
     "params": {"operator": "above", "value": 20, "hysteresis": 3, "min_duration_s": 600}},
)

DOMAIN = Domain(
    key="risks",
    label="Risques climatiques",
    asset_kinds=KINDS,
    metrics=METRICS,
    settings=SETTINGS + REGISTER_SETTINGS,
    kpis=KPIS,
    detectors=DETECTORS,
    impacts=IMPACTS,
    cli=risks,
    api_router=router,
    web_dir=WEB_DIR,
    pages=PAGES,
    panels=PANELS,
    personal_data=PERSONAL_DATA,
    jobs=(Job("risks.hubeau_sync", hubeau.POLL_INTERVAL_S, hubeau.run_poll_job, ttl_s=1800),
          Job("risks.hubeau_stations", 86_400, hubeau.run_stations_job, ttl_s=1800),
          Job("risks.register_purge", 86_400, purge_unconfirmed, ttl_s=3600),
          Job("risks.population_alert", 60.0, retry_job)),
    demo=DemoSpec(inventory="beffroi.domains.risks.demo.inventory:demo_inventory",
                  simulator="beffroi.domains.risks.demo.simulator:simulate",
                  rules=DEMO_RULES, story="beffroi.domains.risks.demo.story:tell"),
)
