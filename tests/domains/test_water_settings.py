"""Water settings are checked beyond their type when a tenant changes them: a night window
bound must be a clock time, the ILP grid must have the expected shape."""

from __future__ import annotations

import pytest

from beffroi.core import tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.errors import Invalid
from beffroi.core.registry import load_registry


def test_bad_water_settings_are_refused_with_their_fields(db):
    registry = load_registry(["generic", "water"])
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        with pytest.raises(Invalid) as bad:
            tenants.update_tenant(scope, conn, {"settings": {
                "water.night_start": "2h", "water.night_end": "04:00",
                "water.ilp_grid": {"rural": {"ilc_below": 10, "good": 3, "acceptable": 2,
                                             "mediocre": 4}}}}, registry)
        fields = {e["field"] for e in bad.value.errors}
        assert fields == {"water.night_start", "water.ilp_grid.rural",
                          "water.ilp_grid.intermediate", "water.ilp_grid.urban"}
        assert "HH:MM" in str(bad.value.errors)
        out = tenants.update_tenant(scope, conn, {"settings": {"water.night_start": "01:30"}},
                                    registry)
    assert out["settings"]["water.night_start"] == "01:30"
