"""The water domain's API routes, mounted under /api/v1 by core (Domain.api_router).

Each feature keeps its routes in its own module and is included here.
"""

from __future__ import annotations

from fastapi import APIRouter

from .exceptional_use_routes import router as exceptional_use_router
from .indicator_routes import router as indicator_router
from .night_flow_routes import router as night_flow_router
from .open_leak_routes import router as open_leak_router
from .repaired_leak_routes import router as repaired_leak_router

router = APIRouter(tags=["eau potable"])
router.include_router(indicator_router)
router.include_router(night_flow_router)
router.include_router(repaired_leak_router)
router.include_router(exceptional_use_router)
router.include_router(open_leak_router)
