"""Issue #14: ``beffroi.plugin`` is the one public extension API, light to import; domain
routers use its HTTP helpers; the product never imports demo code."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

import beffroi.plugin as plugin
from beffroi.core.domain import Domain

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("fastapi", "starlette", "pydantic", "sqlalchemy", "psycopg", "numpy", "shapely",
         "uvicorn", "httpx", "click", "orjson", "beffroi.api", "beffroi.storage",
         "beffroi.domains", "beffroi.demo", "beffroi.connectivity")


def test_importing_the_plugin_api_loads_no_framework_driver_or_numpy():
    code = ("import sys, beffroi.plugin; print('\\n'.join(sorted(m for m in sys.modules "
            f"if m.startswith({HEAVY!r}))))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == []
    # Using an HTTP helper loads what it needs, then.
    code = "import sys; from beffroi.plugin import CtxDep; print('fastapi' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert run.stdout.strip() == "True", run.stderr


def test_every_exported_name_is_the_object_of_its_home_module():
    assert len(plugin.__all__) == len(set(plugin.__all__))
    assert set(plugin.LAZY) <= set(plugin.__all__)
    for name in plugin.__all__:
        value = getattr(plugin, name)
        home = plugin.LAZY.get(name)
        if home is not None:
            assert value is getattr(importlib.import_module(home), name), name
    with pytest.raises(AttributeError, match="no attribute 'schema'"):
        plugin.schema  # noqa: B018  (not part of the API)


def test_every_field_of_domain_has_a_real_type():
    assert {f.name: str(f.type) for f in fields(Domain)} == {
        "key": "str", "label": "str", "asset_kinds": "tuple[AssetKind, ...]",
        "metrics": "tuple[Metric, ...]", "settings": "tuple[Setting, ...]",
        "detectors": "tuple[Detector, ...]", "kpis": "tuple[Kpi, ...]",
        "impacts": "tuple[ImpactSource, ...]", "commands": "tuple[CommandSpec, ...]", "jobs": "tuple[Job, ...]",
        "api_router": "APIRouter | None", "cli": "click.Group | None",
        "web_dir": "str | None", "pages": "tuple[Page, ...]", "panels": "tuple[Panel, ...]",
        "map_styles": "tuple[MapStyle, ...]", "personal_data": "tuple[str, ...]",
        "demo": "DemoSpec | None"}


# -- the import graph of src/beffroi ---------------------------------------------------------

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_nodes(node: ast.AST):
    """The nodes of a module that run: ``if TYPE_CHECKING:`` bodies are left out."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            for other in child.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield child
        yield from _runtime_nodes(child)


def _imports(source: str, name: str, is_package: bool) -> set[str]:
    """Every module a file imports when it runs, at any depth of its code (functions
    included), as absolute names; ``from X import a`` counts X and X.a (a may be a module)."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p.read_text(encoding="utf-8"), _module_name(p),
                                      p.name == "__init__.py")
            for p in (SRC / "beffroi").rglob("*.py")}


def is_demo(module: str) -> bool:
    parts = module.split(".")
    return module == "beffroi.demo" or module.startswith("beffroi.demo.") or (
        len(parts) >= 4 and parts[:2] == ["beffroi", "domains"] and parts[3] == "demo")


def test_nothing_but_demo_code_imports_demo_code():
    """The demo machinery (``beffroi.demo``, each domain's ``demo`` package) is loaded only to
    build a demo: by the ``beffroi demo`` command, and by ``Domain.demo`` dotted paths."""
    allowed = {"beffroi.cli.main": "beffroi.demo.builder"}  # the `beffroi demo` command
    offenders = sorted(f"{module} imports {target}" for module, targets in _graph().items()
                       if not is_demo(module) for target in targets if is_demo(target)
                       and target.rpartition(".")[0] != allowed.get(module)
                       and target != allowed.get(module))
    assert offenders == []
    # The plugin API forwards the demo helpers to domains' demo modules, on first use only.
    demo_names = sorted(n for n, home in plugin.LAZY.items() if is_demo(home))
    assert demo_names == ["ar1_noise", "commune_area", "geojson", "length_km", "point",
                          "points_near", "seasonal", "split_area", "step_hours"]


def test_the_graph_sees_every_form_of_import():
    found = _imports("import beffroi.demo.builder\n"
                     "def f():\n    from .demo.inventory import demo_inventory\n"
                     "class A:\n    from . import demo\n"
                     "from ...api.deps import CtxDep\n"
                     "if TYPE_CHECKING:\n    from ...demo import calendar\n"
                     "else:\n    from ...demo import placement\n",
                     "beffroi.domains.lighting.probe", False)
    assert {m for m in found if is_demo(m)} == {
        "beffroi.demo.builder", "beffroi.domains.lighting.demo",
        "beffroi.domains.lighting.demo.inventory",
        "beffroi.domains.lighting.demo.inventory.demo_inventory", "beffroi.demo",
        "beffroi.demo.placement"}
    assert "beffroi.api.deps" in found
    assert _imports("from . import demo\n", "beffroi.domains.water", True) == {
        "beffroi.domains.water", "beffroi.domains.water.demo"}


def test_domain_routers_use_the_plugin_http_helpers_not_the_api_internals():
    offenders = sorted(f"{module} imports {target}" for module, targets in _graph().items()
                       if module.startswith("beffroi.domains.") for target in targets
                       if target == "beffroi.api" or target.startswith("beffroi.api."))
    assert offenders == []
