"""The buildings domain's API routes, mounted under /api/v1 by core (Domain.api_router).

Each feature keeps its routes in its own module and is included here.
"""

from __future__ import annotations

from fastapi import APIRouter

from .air_routes import router as air_router
from .decret_routes import router as decret_router
from .meter_routes import router as meter_router
from .operat_routes import router as operat_router
from .overview_routes import router as overview_router

router = APIRouter(tags=["bâtiments publics"])
router.include_router(decret_router)
router.include_router(operat_router)
router.include_router(air_router)
router.include_router(overview_router)
router.include_router(meter_router)
