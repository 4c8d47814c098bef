"""The lighting domain's API routes, mounted under /api/v1 by core (Domain.api_router).

Each feature keeps its routes in its own module and is included here.
"""

from __future__ import annotations

from fastapi import APIRouter

from .compliance_routes import router as compliance_router
from .emergency_routes import router as emergency_router
from .energy_routes import router as energy_router
from .programme_routes import router as programme_router
from .renovation_routes import router as renovation_router
from .summary_routes import router as summary_router
from .sun_routes import router as sun_router

router = APIRouter(tags=["éclairage public"])
router.include_router(compliance_router)
router.include_router(sun_router)
router.include_router(programme_router)
router.include_router(emergency_router)
router.include_router(energy_router)
router.include_router(summary_router)
router.include_router(renovation_router)
