"""The example imports nothing of Beffroi but ``beffroi.plugin``: every module of the
package is parsed, and any other ``beffroi`` import (statement, ``import_module``,
``__import__`` or a dotted path given to Beffroi, as the demo's) fails the test."""

from __future__ import annotations

import ast
from pathlib import Path

import beffroi_dechets

PACKAGE = Path(beffroi_dechets.__file__).parent
ALLOWED = "beffroi.plugin"


def _is_beffroi(name: str) -> bool:
    return name == "beffroi" or name.startswith("beffroi.")


def forbidden_imports(source: str, filename: str = "<source>") -> list[str]:
    """``file:line name`` of every reference to a Beffroi module other than the plugin."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "beffroi":  # from beffroi import core
                names = [f"beffroi.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__"):
                names = [node.args[0].value]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and _is_beffroi(node.value.split(":")[0]) and " " not in node.value:
            names = [node.value.split(":")[0]]  # "beffroi.x:attr", a dotted path
        found += [f"{filename}:{node.lineno} {name}" for name in names
                  if _is_beffroi(name) and name != ALLOWED]
    return list(dict.fromkeys(found))  # an import_module("…") is also a constant


def test_every_module_imports_only_the_plugin_api():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) >= 10  # the whole package is walked, not an empty folder
    problems = [p for path in modules
                for p in forbidden_imports(path.read_text(encoding="utf-8"), path.name)]
    assert problems == []
    # …and it does use the plugin API.
    assert any("beffroi.plugin" in path.read_text(encoding="utf-8") for path in modules)


def test_the_check_catches_every_way_of_importing_beffroi():
    caught = forbidden_imports("\n".join([
        "import beffroi.core.registry",
        "from beffroi.core import assets",
        "from beffroi import core",
        "import importlib; importlib.import_module('beffroi.storage.schema')",
        "__import__('beffroi.api.deps')",
        "SPEC = 'beffroi.demo.placement:point'",
        "from beffroi.plugin import Domain",  # allowed
        "import beffroi_dechets.kinds",  # the package itself
        "TEXT = 'beffroi.plugin et rien d autre'",  # prose, not a dotted path
    ]))
    assert [c.split(" ", 1)[1] for c in caught] == [
        "beffroi.core.registry", "beffroi.core", "beffroi.core", "beffroi.storage.schema",
        "beffroi.api.deps", "beffroi.demo.placement"]


def test_only_the_demo_builder_loads_the_demo_module():
    """The product never imports demo code: Beffroi loads ``demo.py`` by its dotted path
    (``DemoSpec``) when it builds a demo, and no module of the package imports it."""
    importers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (
                    node.module in ("demo", "beffroi_dechets.demo")
                    or (node.module is None and any(a.name == "demo" for a in node.names))):
                importers.append(path.name)
    assert importers == []
    assert beffroi_dechets.DOMAIN.demo.inventory == "beffroi_dechets.demo:inventory"
