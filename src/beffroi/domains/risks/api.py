"""The risks domain's API routes, mounted under /api/v1 by core (Domain.api_router).

Each feature keeps its routes in its own module and is included here.
"""

from __future__ import annotations

from fastapi import APIRouter

from .crisis_log_routes import router as crisis_log_router
from .fire_weather_routes import router as fire_weather_router
from .flood_zone_routes import router as flood_zone_router
from .forecasts_routes import router as forecasts_router
from .heatwave_routes import router as heatwave_router
from .population_alert_routes import router as population_alert_router
from .register.routes import router as register_router
from .river_overview_routes import router as overview_router
from .station_routes import router as station_router

router = APIRouter(tags=["risques climatiques"])
router.include_router(overview_router)
router.include_router(station_router)
router.include_router(flood_zone_router)
router.include_router(heatwave_router)
router.include_router(fire_weather_router)
router.include_router(forecasts_router)
router.include_router(register_router)
router.include_router(population_alert_router)
router.include_router(crisis_log_router)
