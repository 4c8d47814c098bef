"""The domains installed in this Python environment, with where each comes from.

A domain is declared under the ``beffroi.domains`` entry-point group by the distribution
that ships it: Beffroi itself for the built-in ones, another package (``beffroi-dechets``)
for an extension. ``installed_domains`` loads each entry point on its own, so that one
broken extension is reported with its error instead of hiding the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from .registry import Domain, RegistryError, build_registry

GROUP = "beffroi.domains"
CORE_DISTRIBUTION = "beffroi"


@dataclass(frozen=True)
class InstalledDomain:
    name: str  # the entry point's name ("waste")
    target: str  # what it points to ("beffroi_dechets:DOMAIN")
    distribution: str | None  # the package that declares it ("beffroi-dechets")
    version: str | None  # that package's version
    domain: Domain | None  # None when it could not be loaded
    error: str | None = None  # why it could not be loaded or registered (French)

    @property
    def builtin(self) -> bool:
        return self.distribution == CORE_DISTRIBUTION


def _distribution(ep: EntryPoint) -> tuple[str | None, str | None]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


def installed_domains() -> list[InstalledDomain]:
    """Every declared domain, by entry-point name; each loaded alone, then registered in
    turn, built-ins first (an error is put on the domain that caused it)."""
    found: list[InstalledDomain] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        name, version = _distribution(ep)
        try:
            domain = ep.load()
            error = None if isinstance(domain, Domain) else (
                f"l'entrée « {ep.value} » ne désigne pas un Domain ({type(domain).__name__})")
        except Exception as exc:  # an extension that fails to import is shown, not fatal
            domain, error = None, f"chargement impossible : {type(exc).__name__}: {exc}"
        found.append(InstalledDomain(ep.name, ep.value, name, version,
                                     domain if error is None else None, error))
    registry = build_registry([])
    # Built-ins first: a clash between an extension and Beffroi is the extension's fault.
    for i in sorted(range(len(found)), key=lambda i: not found[i].builtin):
        d = found[i]
        if d.domain is None:
            continue
        try:
            registry.register(d.domain)
        except RegistryError as exc:
            found[i] = InstalledDomain(d.name, d.target, d.distribution, d.version, d.domain,
                                       f"enregistrement refusé : {exc}")
    return found
