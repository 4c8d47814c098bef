"""The risks domain's API routes, mounted under /api/v1 by core (Domain.api_router).

Each feature keeps its routes in its own module and is included here.
"""

from __future__ import annotations

from fastapi import APIRouter

from .crisis_log_routes import router as crisis_log_router
from .population_alert_routes import router as population_alert_router

router = APIRouter(tags=["risques"])
router.include_router(population_alert_router)
router.include_router(crisis_log_router)
