"""Climate risks: river gauges and floods, weather, heat waves, forest fires."""

from ...core.jobs import Job
from ...core.registry import DemoSpec, Domain
from .api import router
from .impact import IMPACTS
from .kinds import KINDS
from .kpis import KPIS
from .metrics import METRICS
from .population_alert import retry_job
from .settings import SETTINGS

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
    settings=SETTINGS,
    kpis=KPIS,
    impacts=IMPACTS,
    api_router=router,
    jobs=(Job("risks.population_alert", 60.0, retry_job),),
    demo=DemoSpec(inventory="beffroi.domains.risks.demo.inventory:demo_inventory",
                  simulator="beffroi.domains.risks.demo.simulator:simulate",
                  rules=DEMO_RULES),
)
