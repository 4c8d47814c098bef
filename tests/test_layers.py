"""The layers of docs/architecture.md: who may import whom, read from every module's
imports (those inside functions and under TYPE_CHECKING included)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parent.parent / "src"

# Core's account e-mails (invitations, password reset) use the SMTP transport and the
# public URL of notifications: the one documented exception to "core imports only core
# and storage". It must not grow.
CORE_EXCEPTIONS = {
    ("beffroi.core.account_mail", "beffroi.notifications.email"),
    ("beffroi.core.account_mail", "beffroi.notifications.messages"),
    ("beffroi.core.invitations", "beffroi.notifications.messages"),
    ("beffroi.core.password_reset", "beffroi.notifications.email"),
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(root: Path) -> dict[str, set[str]]:
    """Every module under ``root`` -> the modules it imports (absolute names; ``from p
    import x`` counts as ``p.x``, which may be a module or a name of ``p``)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                targets.update(f"{base}.{alias.name}" for alias in node.names)
                targets.add(base)
        graph[name] = targets
    return graph


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(graph: dict[str, set[str]], domain_packages: set[str]) -> list[str]:
    """Every import that breaks a rule of docs/architecture.md, as "importer -> imported"."""
    out = []
    for importer, targets in sorted(graph.items()):
        reported: list[str] = []
        for target in sorted(t for t in targets if within(t, "beffroi")):
            rule = _broken_rule(importer, target, domain_packages)
            if rule and not any(within(target, r) for r in reported):  # `p` covers `p.x`
                reported.append(target)
                out.append(f"{importer} -> {target} ({rule})")
    return out


def _broken_rule(importer: str, target: str, domain_packages: set[str]) -> str | None:
    def layer_of(name: str, *packages: str) -> bool:
        return any(within(name, f"beffroi.{p}") for p in packages)

    if layer_of(importer, "storage") and not layer_of(target, "storage"):
        return "storage imports nothing else of Beffroi"
    if (layer_of(importer, "core") and not layer_of(target, "core", "storage")
            and not any(importer == a and within(target, b) for a, b in CORE_EXCEPTIONS)):
        return "core imports only core and storage"
    for package in domain_packages:
        if within(target, package) and not within(importer, package):
            return "a domain is imported by nobody but itself (entry points)"
    if (layer_of(importer, "connectivity", "notifications")
            and not layer_of(target, "connectivity", "notifications", "core", "storage")):
        return "connectivity and notifications import only themselves, core and storage"
    if layer_of(importer, "api", "web") and layer_of(target, "cli", "runtime", "demo"):
        return "api and web never import the CLI, the runtime or the demo"
    return None


def domain_packages(root: Path) -> set[str]:
    return {f"beffroi.domains.{p.name}" for p in (root / "beffroi" / "domains").iterdir()
            if (p / "__init__.py").exists()}


def test_the_layers_hold():
    graph = imports(SRC)
    assert len(graph) > 150 and "beffroi.core.observations" in graph
    packages = domain_packages(SRC)
    assert {"beffroi.domains.lighting", "beffroi.domains.water"} <= packages
    assert violations(graph, packages) == []


def test_the_exceptions_are_still_needed():
    """An exception nobody uses any more is removed from the list (it must not grow back)."""
    graph = imports(SRC)
    assert [(a, b) for a, b in sorted(CORE_EXCEPTIONS)
            if not any(within(t, b) for t in graph.get(a, ()))] == []


def test_a_broken_rule_is_reported(tmp_path):
    files = {
        "beffroi/__init__.py": "",
        "beffroi/storage/__init__.py": "",
        "beffroi/storage/schema.py": "from ..core import clock\n",
        "beffroi/core/__init__.py": "",
        "beffroi/core/clock.py": "from ..storage import schema\n",
        "beffroi/core/summary.py": "def f():\n    from beffroi.domains.lighting import kinds\n",
        "beffroi/core/mail.py": "from ..notifications import email\n",
        "beffroi/domains/__init__.py": "",
        "beffroi/domains/lighting/__init__.py": "from . import kinds\n",
        "beffroi/domains/lighting/kinds.py": "from ...core import clock\n",
        "beffroi/domains/water/__init__.py": "from ..lighting.kinds import CABINET\n",
        "beffroi/notifications/__init__.py": "",
        "beffroi/notifications/email.py": "import beffroi.api.deps\n",
        "beffroi/api/__init__.py": "",
        "beffroi/api/deps.py": "from beffroi.runtime import build_runtime\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    found = violations(imports(tmp_path), domain_packages(tmp_path))
    assert [line.split(" (")[0] for line in found] == [
        "beffroi.api.deps -> beffroi.runtime",
        "beffroi.core.mail -> beffroi.notifications",
        "beffroi.core.summary -> beffroi.domains.lighting",
        "beffroi.domains.water -> beffroi.domains.lighting.kinds",
        "beffroi.notifications.email -> beffroi.api.deps",
        "beffroi.storage.schema -> beffroi.core",
    ]
    assert found[2].endswith("(core imports only core and storage)")
    assert found[3].endswith("(a domain is imported by nobody but itself (entry points))")
