"""Every declaration of the domains (and decoders) checked once, at start, all at once.

``Registry.register`` calls ``check`` before it takes anything: a domain with a mistyped
field, a key outside its namespace, a duplicate key or a reference to a metric or kind that
nobody declares is refused with every error found, each naming the domain, the element and
the field (English identifiers) with a French message::

    domaine « waste », type d'équipement « waste.bin » (asset_kinds[0].metrics[1]) :
    mesure inconnue « waste.fill »

Three passes: the types of every field, recursively through the declarations (the
annotations of the dataclasses are the contract: ``tuple[Metric, ...]`` refuses a str or a
list); the keys (format, ``{domain}.`` prefix, no duplicate within or across domains); the
references (metrics named by kinds, rules, detectors, KPIs and decoders; kinds named by
commands, panels, map styles and parents; files of the web interface). An element whose
types are wrong is left out of the later passes, so that one error does not hide the others
nor make the check itself fail.
"""

from __future__ import annotations

import builtins
import re
import reprlib
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .alerting.detector_spec import INPUT_KINDS, DetailField, Detector, FollowUpStep
from .command_spec import CommandSpec
from .domain import (
    AlertContact,
    AssetKind,
    DemoSpec,
    DerivedMetric,
    Domain,
    MapClass,
    MapStyle,
    Metric,
    Page,
    Panel,
    PropertySpec,
    Setting,
)
from .impact.sources import FieldTrip, ImpactSource
from .jobs import Job
from .kpis import Kpi

if TYPE_CHECKING:
    from .registry import Registry

# The declarations whose annotations are checked field by field, and how errors name them.
ELEMENTS: dict[type, str] = {
    Domain: "domaine", AssetKind: "type d'équipement", PropertySpec: "propriété",
    Metric: "mesure", Setting: "paramètre", Detector: "détecteur", DetailField: "détail",
    FollowUpStep: "étape de suivi",
    Kpi: "indicateur", CommandSpec: "commande", Job: "tâche périodique", Page: "page",
    Panel: "panneau", MapStyle: "coloration de carte", MapClass: "classe de coloration",
    DemoSpec: "démo", DerivedMetric: "mesure dérivée",
    ImpactSource: "source d'impact", FieldTrip: "déplacement évité",
    AlertContact: "contact d'alerte",
}
# Fields of Domain holding declarations, and the attribute naming each element.
LISTS: dict[str, tuple[type, str | None]] = {
    "asset_kinds": (AssetKind, "key"), "metrics": (Metric, "key"),
    "settings": (Setting, None), "detectors": (Detector, "key"), "kpis": (Kpi, "key"),
    "commands": (CommandSpec, "key"), "jobs": (Job, "name"), "pages": (Page, "path"),
    "panels": (Panel, "module"), "map_styles": (MapStyle, "key"),
    "impacts": (ImpactSource, "key"),
}
DOMAIN_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
DOTTED_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
OBJECT_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Keys of a follow-up step and of its fields; the latter share the body of the request
# recording the step with these.
STEP_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
RESERVED_FIELD_KEYS = ("step", "at", "comment")


@dataclass(frozen=True)
class DeclarationError:
    """One thing wrong in a declaration: who, which element, which field, what."""

    owner: str  # French: "domaine « waste »", "décodeur « elsys »"
    element: str  # French: "type d'équipement « waste.bin »", "" for the owner itself
    field: str  # path in English identifiers: "asset_kinds[0].metrics[1]"
    message: str  # French

    def __str__(self) -> str:
        where = f"{self.owner}, {self.element}" if self.element else self.owner
        return f"{where} ({self.field}) : {self.message}" if self.field else \
            f"{where} : {self.message}"


# -- types -------------------------------------------------------------------------------

class _Unknown:
    """A name imported for type checkers only: any attribute of it and any union with it
    read as Any (``click.Group | None``)."""

    def __getattr__(self, name: str) -> _Unknown:
        return self

    def __or__(self, other: Any) -> Any:
        return Any

    __ror__ = __or__


class _Namespace(dict):
    """Names of an annotation: the declaration's module, the contract's classes, builtins;
    a name imported for type checkers only (``APIRouter``, ``Database``) reads as Any."""

    def __init__(self, module_globals: Mapping[str, Any]) -> None:
        super().__init__()
        self.module_globals = module_globals

    def __missing__(self, name: str) -> Any:
        if name in self.module_globals:
            return self.module_globals[name]
        contract = {cls.__name__: cls for cls in ELEMENTS}
        if name in contract:
            return contract[name]
        if hasattr(builtins, name):
            return getattr(builtins, name)
        if hasattr(typing, name):
            return getattr(typing, name)
        return _Unknown()


@cache
def field_hints(cls: type) -> tuple[tuple[str, Any], ...]:
    """(name, resolved annotation) of each field of a declaration dataclass."""
    import sys

    module = vars(sys.modules[cls.__module__])
    out = []
    for f in fields(cls):
        hint = f.type
        if isinstance(hint, str):
            hint = eval(hint, {"__builtins__": builtins}, _Namespace(module))  # noqa: S307
        out.append((f.name, hint))
    return tuple(out)


def describe(hint: Any) -> str:
    """A type as the error messages show it: ``tuple[Metric, ...]``, ``str | None``."""
    if hint is Any:
        return "Any"
    if hint is None or hint is type(None):
        return "None"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(describe(a) for a in args)
    if origin is typing.Literal:
        return "l'une des valeurs " + ", ".join(repr(a) for a in args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"tuple[{describe(args[0])}, ...]"
        return f"tuple[{', '.join(describe(a) for a in args)}]"
    if origin in (Callable, typing.Callable) or hint is Callable:
        return "fonction (callable)"
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(describe(a) for a in args)}]" if args else name
    return getattr(hint, "__name__", str(hint))


def _received(value: Any) -> str:
    return f"reçu {type(value).__name__} {reprlib.repr(value)}"


def type_errors(value: Any, hint: Any, path: str) -> list[tuple[str, str]]:
    """(path, French message) of each place where ``value`` does not match ``hint``;
    declarations are checked field by field."""
    if hint is Any or isinstance(hint, typing.TypeVar | _Unknown):
        return []
    if hint is None or hint is type(None):
        return [] if value is None else [(path, f"None attendu, {_received(value)}")]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        for option in args:
            if not type_errors(value, option, path):
                return []
        # One declaration among the options: its own errors say more than "X | None".
        declared = [a for a in args if a in ELEMENTS and isinstance(value, a)]
        if declared:
            return type_errors(value, declared[0], path)
        return [(path, f"{describe(hint)} attendu, {_received(value)}")]
    if origin is typing.Literal:
        if any(value == a and type(value) is type(a) for a in args):
            return []
        return [(path, f"{describe(hint)} attendue, {_received(value)}")]
    if origin is tuple:
        if not isinstance(value, tuple):
            return [(path, f"{describe(hint)} attendu, {_received(value)}")]
        if len(args) == 2 and args[1] is Ellipsis:
            return [e for i, item in enumerate(value)
                    for e in type_errors(item, args[0], f"{path}[{i}]")]
        if args and len(args) != len(value):
            return [(path, f"{describe(hint)} attendu, {_received(value)}")]
        return [e for i, (item, a) in enumerate(zip(value, args, strict=False))
                for e in type_errors(item, a, f"{path}[{i}]")]
    if origin in (Callable, typing.Callable) or hint is Callable:
        return [] if callable(value) else [(path, f"fonction attendue, {_received(value)}")]
    if origin in (Mapping, dict, typing.Mapping):
        if not isinstance(value, Mapping):
            return [(path, f"{describe(hint)} attendu, {_received(value)}")]
        if not args:
            return []
        key_hint, value_hint = args
        return [e for k, v in value.items()
                for e in (*type_errors(k, key_hint, f"{path}[{k!r}]"),
                          *type_errors(v, value_hint, f"{path}[{k!r}]"))]
    if origin is not None:  # Iterable, Sequence…: the container only
        return [] if isinstance(value, origin) else \
            [(path, f"{describe(hint)} attendu, {_received(value)}")]
    if getattr(hint, "_is_protocol", False):  # a Protocol: the attributes it declares
        missing = [name for name in getattr(hint, "__annotations__", {})
                   if not hasattr(value, name)]
        return [(path, f"{hint.__name__} attendu (attribut {', '.join(missing)} absent), "
                 f"{_received(value)}")] if missing else []
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(hint, type):
        ok = isinstance(value, hint)
    else:
        return []
    if not ok:
        return [(path, f"{describe(hint)} attendu, {_received(value)}")]
    if hint in ELEMENTS:
        return [e for name, sub in field_hints(hint)
                for e in type_errors(getattr(value, name), sub, f"{path}.{name}")]
    return []


# -- the check -----------------------------------------------------------------------------

def _element(cls: type, value: Any, attribute: str | None) -> str:
    name = getattr(value, attribute, None) if attribute else None
    if cls is Setting:
        name = getattr(getattr(value, "spec", None), "name", None)
    label = ELEMENTS.get(cls, cls.__name__)
    return f"{label} « {name} »" if isinstance(name, str) else label


class _Report:
    def __init__(self) -> None:
        self.errors: list[DeclarationError] = []

    def add(self, owner: str, element: str, field: str, message: str) -> None:
        self.errors.append(DeclarationError(owner, element, field, message))


@dataclass
class _Checked:
    """One domain of the batch with its well-typed elements: (field, index, element)."""

    domain: Domain
    owner: str
    items: dict[str, list[tuple[int, Any]]]

    def each(self, name: str) -> Iterable[tuple[str, str, Any]]:
        """(path, element label, element) of the well-typed elements of a field."""
        cls, attribute = LISTS[name]
        for index, item in self.items.get(name, []):
            yield f"{name}[{index}]", _element(cls, item, attribute), item


def _typed(domain: Domain, owner: str, report: _Report) -> _Checked:
    items: dict[str, list[tuple[int, Any]]] = {}
    for name, hint in field_hints(Domain):
        value = getattr(domain, name)
        if name in LISTS:
            cls, attribute = LISTS[name]
            if not isinstance(value, tuple):
                report.add(owner, "", name, f"{describe(hint)} attendu, {_received(value)}")
                continue
            items[name] = []
            for index, item in enumerate(value):
                problems = type_errors(item, cls, f"{name}[{index}]")
                element = _element(cls, item, attribute) if isinstance(item, cls) else ""
                for path, message in problems:
                    report.add(owner, element, path, message)
                if not problems:
                    items[name].append((index, item))
        elif name == "api_router":
            if value is not None:
                from fastapi import APIRouter

                if not isinstance(value, APIRouter):
                    report.add(owner, "", name,
                               f"APIRouter (FastAPI) ou None attendu, {_received(value)}")
        elif name == "cli":
            if value is not None:
                import click

                if not isinstance(value, click.Group):
                    report.add(owner, "", name,
                               f"click.Group ou None attendu, {_received(value)}")
        else:
            for path, message in type_errors(value, hint, name):
                report.add(owner, "", path, message)
    return _Checked(domain, owner, items)


def _prefixed(checked: _Checked, report: _Report) -> None:
    key = checked.domain.key
    for name, attribute in (("asset_kinds", "key"), ("detectors", "key"), ("kpis", "key"),
                            ("commands", "key"), ("jobs", "name"), ("map_styles", "key"),
                            ("impacts", "key")):
        for path, element, item in checked.each(name):
            value = getattr(item, attribute)
            if not value.startswith(f"{key}.") or not DOTTED_KEY.match(value):
                report.add(checked.owner, element, f"{path}.{attribute}",
                           f"clé « {value} » hors de l'espace du domaine : « {key}.nom » "
                           "attendu (minuscules, chiffres, _)")
    for path, element, source in checked.each("impacts"):
        for i, trip in enumerate(source.trips):
            if not trip.key.startswith(f"{key}.") or not DOTTED_KEY.match(trip.key):
                report.add(checked.owner, element, f"{path}.trips[{i}].key",
                           f"clé « {trip.key} » hors de l'espace du domaine : « {key}.nom » "
                           "attendu (minuscules, chiffres, _)")
    for path, element, item in checked.each("settings"):
        value = item.spec.name
        if not value.startswith(f"{key}.") or not DOTTED_KEY.match(value):
            report.add(checked.owner, element, f"{path}.spec.name",
                       f"nom « {value} » hors de l'espace du domaine : « {key}.nom » attendu")
    for path, element, item in checked.each("metrics"):
        if not DOTTED_KEY.match(item.key):
            report.add(checked.owner, element, f"{path}.key",
                       f"clé « {item.key} » invalide : « famille.nom » attendu (minuscules, "
                       "chiffres, _), « energy.active_import » par exemple")


def _duplicates(batch: Sequence[_Checked], registry: Registry, report: _Report) -> None:
    """No key declared twice, within a domain or across domains; a metric may be declared
    by several domains (a physical quantity they share) only identically."""
    categories = (("asset_kinds", "key", "type d'équipement"), ("detectors", "key", "détecteur"),
                  ("kpis", "key", "indicateur"), ("commands", "key", "commande"),
                  ("jobs", "name", "tâche"), ("pages", "path", "page"),
                  ("map_styles", "key", "coloration de carte"),
                  ("impacts", "key", "source d'impact"))
    for name, attribute, label in categories:
        taken = {getattr(item, attribute): domain.key for domain in registry.domains.values()
                 for item in getattr(domain, name)}
        for checked in batch:
            for path, element, item in checked.each(name):
                value = getattr(item, attribute)
                if value in taken:
                    where = "ce domaine" if taken[value] == checked.domain.key else \
                        f"le domaine « {taken[value]} »"
                    report.add(checked.owner, element, f"{path}.{attribute}",
                               f"« {value} » déjà déclaré par {where} ({label})")
                else:
                    taken[value] = checked.domain.key
    taken_trips = {t.key: d.key for d in registry.domains.values() for i in d.impacts
                   for t in i.trips}
    for checked in batch:
        for path, element, item in checked.each("impacts"):
            for i, trip in enumerate(item.trips):
                if trip.key in taken_trips:
                    where = "ce domaine" if taken_trips[trip.key] == checked.domain.key else \
                        f"le domaine « {taken_trips[trip.key]} »"
                    report.add(checked.owner, element, f"{path}.trips[{i}].key",
                               f"« {trip.key} » déjà déclaré par {where} (déplacement évité)")
                taken_trips[trip.key] = checked.domain.key
    taken_settings = {s.spec.name: d.key for d in registry.domains.values() for s in d.settings}
    for checked in batch:
        for path, element, item in checked.each("settings"):
            value = item.spec.name
            if value in taken_settings:
                report.add(checked.owner, element, f"{path}.spec.name",
                           f"paramètre « {value} » déjà déclaré par le domaine "
                           f"« {taken_settings[value]} »")
            taken_settings[value] = checked.domain.key
    metrics: dict[str, tuple[str, Metric]] = {}
    for domain in registry.domains.values():
        for metric in domain.metrics:
            metrics.setdefault(metric.key, (domain.key, metric))
    for checked in batch:
        mine: set[str] = set()
        for path, element, item in checked.each("metrics"):
            if item.key in mine:
                report.add(checked.owner, element, f"{path}.key",
                           f"mesure « {item.key} » déclarée deux fois par ce domaine")
            mine.add(item.key)
            other = metrics.get(item.key)
            if other is not None and other[1] != item:
                report.add(checked.owner, element, path,
                           f"mesure « {item.key} » déjà déclarée autrement par le domaine "
                           f"« {other[0]} » : deux domaines peuvent partager une mesure "
                           "seulement s'ils la déclarent à l'identique")
            metrics.setdefault(item.key, (checked.domain.key, item))


def _own_fields(checked: _Checked, report: _Report) -> None:
    """What each element says of itself: unique property names, sound ranges…"""
    from .properties import check_value

    owner = checked.owner

    def properties(path: str, element: str, specs: tuple[PropertySpec, ...]) -> None:
        names: set[str] = set()
        for i, spec in enumerate(specs):
            where = f"{path}[{i}]"
            if spec.name in names:
                report.add(owner, element, f"{where}.name",
                           f"propriété « {spec.name} » déclarée deux fois")
            names.add(spec.name)
            if spec.type == "enum" and not spec.choices:
                report.add(owner, element, f"{where}.choices",
                           "une propriété de type enum doit lister ses valeurs (choices)")
            if spec.pattern is not None:
                if spec.type != "string":
                    report.add(owner, element, f"{where}.pattern",
                               "un format (pattern) ne s'applique qu'à une propriété texte")
                try:
                    re.compile(spec.pattern)
                except re.error as exc:
                    report.add(owner, element, f"{where}.pattern",
                               f"expression régulière invalide : {exc}")
            _range(where, element, spec.minimum, spec.maximum)
            if spec.entry_fields:
                properties(f"{where}.entry_fields", element, spec.entry_fields)

    def _range(path: str, element: str, low: float | None, high: float | None) -> None:
        if low is not None and high is not None and low > high:
            report.add(owner, element, f"{path}.minimum",
                       f"minimum {low} supérieur au maximum {high}")

    for path, element, kind in checked.each("asset_kinds"):
        if not kind.geometry_types:
            report.add(owner, element, f"{path}.geometry_types",
                       "au moins un type de géométrie attendu")
        properties(f"{path}.properties", element, kind.properties)
    for path, element, metric in checked.each("metrics"):
        _range(path, element, metric.minimum, metric.maximum)
        if metric.kind == "state" and not metric.states:
            report.add(owner, element, f"{path}.states",
                       "une mesure d'état (kind « state ») doit nommer ses états (states)")
    for path, element, item in checked.each("settings"):
        _range(f"{path}.spec", element, item.spec.minimum, item.spec.maximum)
        if item.default is not None:
            _, problem = check_value(item.spec, item.default)
            if problem:
                report.add(owner, element, f"{path}.default",
                           f"valeur par défaut invalide : {problem}")
    for path, element, detector in checked.each("detectors"):
        if detector.interval_s <= 0:
            report.add(owner, element, f"{path}.interval_s", "durée positive attendue")
        keys = [d.key for d in detector.details]
        for i, key in enumerate(keys):
            if key in keys[:i]:
                report.add(owner, element, f"{path}.details[{i}].key",
                           f"détail « {key} » déclaré deux fois")
            unit_from = detector.details[i].unit_from
            if unit_from is not None and unit_from not in keys:
                report.add(owner, element, f"{path}.details[{i}].unit_from",
                           f"détail « {unit_from} » inconnu de ce détecteur")
        _follow_up(f"{path}.follow_up", element, detector.follow_up, owner, report)
    for path, element, source in checked.each("impacts"):
        for i, trip in enumerate(source.trips):
            for name in ("km", "hours"):
                if getattr(trip, name) < 0:
                    report.add(owner, element, f"{path}.trips[{i}].{name}",
                               "nombre positif ou nul attendu")
    for path, element, kpi in checked.each("kpis"):
        if kpi.max_age_s <= 0:
            report.add(owner, element, f"{path}.max_age_s", "durée positive attendue")
        if kpi.link is not None and not kpi.link.startswith("/"):
            report.add(owner, element, f"{path}.link",
                       f"lien « {kpi.link} » invalide : il doit commencer par /")
    for path, element, job in checked.each("jobs"):
        for name in ("interval_s", "ttl_s"):
            if getattr(job, name) <= 0:
                report.add(owner, element, f"{path}.{name}", "durée positive attendue")
    for path, element, command in checked.each("commands"):
        if not command.asset_kinds:
            report.add(owner, element, f"{path}.asset_kinds",
                       "au moins un type d'équipement attendu")
        if command.ttl_s <= 0:
            report.add(owner, element, f"{path}.ttl_s", "durée positive attendue")
        if command.max_attempts < 1:
            report.add(owner, element, f"{path}.max_attempts", "au moins 1 attendu")
        properties(f"{path}.params", element, command.params)
    for path, element, style in checked.each("map_styles"):
        for i, cls in enumerate(style.classes):
            if not COLOUR.match(cls.colour):
                report.add(owner, element, f"{path}.classes[{i}].colour",
                           f"couleur « {cls.colour} » invalide : « #rrggbb » attendu")
        if not style.classes:
            report.add(owner, element, f"{path}.classes", "au moins une classe attendue")
        if bool(style.property) == bool(style.metric):
            report.add(owner, element, f"{path}.property",
                       "une propriété (property) ou une mesure (metric) attendue, l'une des "
                       "deux seulement")


def _follow_up(path: str, element: str, steps: tuple[FollowUpStep, ...], owner: str,
               report: _Report) -> None:
    """A detector's follow-up steps: unique keys, fields people can fill in."""
    seen: set[str] = set()
    for i, step in enumerate(steps):
        where = f"{path}[{i}]"
        if not STEP_KEY.match(step.key):
            report.add(owner, element, f"{where}.key", f"clé d'étape « {step.key} » invalide : "
                       "minuscules, chiffres et _ attendus, commençant par une lettre")
        elif step.key in seen:
            report.add(owner, element, f"{where}.key",
                       f"étape de suivi « {step.key} » déclarée deux fois")
        seen.add(step.key)
        names: set[str] = set()
        for j, f in enumerate(step.fields):
            at = f"{where}.fields[{j}]"
            if not STEP_KEY.match(f.key) or f.key in RESERVED_FIELD_KEYS:
                report.add(owner, element, f"{at}.key", f"clé de champ « {f.key} » invalide "
                           "pour l'étape « " + step.key + " » : minuscules, chiffres et _, "
                           "autre que " + ", ".join(RESERVED_FIELD_KEYS))
            elif f.key in names:
                report.add(owner, element, f"{at}.key", f"champ « {f.key} » déclaré deux fois "
                           f"dans l'étape « {step.key} »")
            names.add(f.key)
            if f.kind not in INPUT_KINDS:
                report.add(owner, element, f"{at}.kind", f"type « {f.kind} » du champ "
                           f"« {f.key} » impossible à saisir : " + ", ".join(INPUT_KINDS)
                           + " attendu")
            if f.kind == "choice" and not f.choices:
                report.add(owner, element, f"{at}.choices",
                           f"le champ à choix « {f.key} » doit lister ses valeurs (choices)")
            if (f.minimum is not None or f.maximum is not None) and f.kind not in (
                    "number", "percent"):
                report.add(owner, element, f"{at}.minimum", f"bornes (minimum, maximum) du "
                           f"champ « {f.key} » réservées aux nombres")
            if f.minimum is not None and f.maximum is not None and f.minimum > f.maximum:
                report.add(owner, element, f"{at}.minimum",
                           f"minimum {f.minimum} supérieur au maximum {f.maximum}")


def _web(checked: _Checked, report: _Report) -> None:
    domain, owner = checked.domain, checked.owner
    pages = list(checked.each("pages"))
    panels = list(checked.each("panels"))
    folder = Path(domain.web_dir) if isinstance(domain.web_dir, str) else None
    if (pages or panels) and folder is None:
        report.add(owner, "", "web_dir", "des pages ou des panneaux sont déclarés sans "
                   "dossier web_dir qui contienne leurs fichiers")
    elif folder is not None and not folder.is_dir():
        report.add(owner, "", "web_dir", f"dossier « {folder} » introuvable")
        folder = None
    for path, element, page in pages:
        if not page.path.startswith("/"):
            report.add(owner, element, f"{path}.path",
                       f"chemin « {page.path} » invalide : il doit commencer par /")
        if folder is not None and not (folder / page.html).is_file():
            report.add(owner, element, f"{path}.html", f"fichier « {page.html} » introuvable "
                       f"dans {folder}")
    for path, element, panel in panels:
        if folder is not None and not (folder / panel.module).is_file():
            report.add(owner, element, f"{path}.module",
                       f"fichier « {panel.module} » introuvable dans {folder}")


def _references(checked: _Checked, metrics: set[str], kinds: set[str],
                report: _Report) -> None:
    """Every metric and asset kind an element names is declared (by any domain)."""
    owner = checked.owner

    unknown_metric, unknown_kind = "mesure inconnue", "type d'équipement inconnu"

    def need(names: Iterable[Any], known: set[str], path: str, element: str,
             what: str) -> None:
        for i, name in enumerate(names):
            need_one(name, known, f"{path}[{i}]", element, what)

    def need_one(name: Any, known: set[str], path: str, element: str, what: str) -> None:
        if name not in known:
            report.add(owner, element, path, f"{what} « {name} »")

    for path, element, kind in checked.each("asset_kinds"):
        need(kind.metrics, metrics, f"{path}.metrics", element, unknown_metric)
        need(kind.parent_kinds, kinds, f"{path}.parent_kinds", element, unknown_kind)
        targets = [d.target for d in kind.derived]
        for i, derived in enumerate(kind.derived):
            where = f"{path}.derived[{i}]"
            need_one(derived.source, metrics, f"{where}.source", element,
                     "mesure source inconnue")
            need_one(derived.target, metrics, f"{where}.target", element,
                     "mesure cible inconnue")
            if derived.source in targets:  # a derived value is never derived again
                report.add(owner, element, f"{where}.source", f"la source « {derived.source} »"
                           " est elle-même dérivée : une valeur dérivée ne l'est pas à nouveau")
            if derived.target in targets[:i]:
                report.add(owner, element, f"{where}.target",
                           f"mesure « {derived.target} » dérivée deux fois")
        for i, contact in enumerate(kind.alert_contacts):
            where = f"{path}.alert_contacts[{i}]"
            spec = kind.property(contact.property)
            if spec is None or spec.type != "string":
                report.add(owner, element, f"{where}.property",
                           f"« {contact.property} » n'est pas une propriété texte du type")
            need(contact.metrics, metrics, f"{where}.metrics", element, unknown_metric)
    for name in ("detectors", "kpis"):
        for path, element, item in checked.each(name):
            need(item.metrics, metrics, f"{path}.metrics", element, unknown_metric)
    for name in ("commands", "panels", "map_styles"):
        for path, element, item in checked.each(name):
            need(item.asset_kinds, kinds, f"{path}.asset_kinds", element, unknown_kind)
    for path, element, style in checked.each("map_styles"):
        if style.metric:
            need_one(style.metric, metrics, f"{path}.metric", element, unknown_metric)
    demo = checked.domain.demo
    if isinstance(demo, DemoSpec):
        for name in ("inventory", "simulator", "story"):
            if name == "story" and demo.story is None:
                continue
            if not isinstance(getattr(demo, name), str) or \
                    not OBJECT_REF.match(getattr(demo, name)):
                report.add(owner, "démo", f"demo.{name}",
                           f"« {getattr(demo, name)} » : « paquet.module:attribut » attendu")
        for i, rule in enumerate(demo.rules):
            element = f"règle de démo « {rule.get('name', i)} »"
            for key, known, what in (("metric", metrics, unknown_metric),
                                     ("asset_kind", kinds, unknown_kind)):
                if key in rule and rule[key] not in known:
                    report.add(owner, element, f"demo.rules[{i}].{key}",
                               f"{what} « {rule[key]} »")


def check_decoders(decoders: Mapping[str, Any], known: Mapping[str, Metric]) -> list[
        DeclarationError]:
    """Each metric a decoder suggests for its fields is declared, with the same unit."""
    report = _Report()
    for key, decoder in sorted(decoders.items()):
        owner = f"décodeur « {key} »"
        suggested: dict[tuple[str, str], str] = {}
        for name, suggestion in decoder.fields.items():
            metric, unit = suggestion
            suggested.setdefault((metric, unit), name)
        for (metric, unit), name in sorted(suggested.items()):
            declared = known.get(metric)
            if declared is None:
                report.add(owner, "", f"fields[{name!r}]", f"mesure suggérée inconnue "
                           f"« {metric} » : déclarez-la dans un domaine ou corrigez-la")
            elif declared.unit != unit:
                report.add(owner, "", f"fields[{name!r}]", f"unité « {unit} » différente de "
                           f"celle de la mesure « {metric} » (« {declared.unit} »)")
    return report.errors


def check(batch: Sequence[Any], registry: Registry) -> list[DeclarationError]:
    """Every error of the domains of ``batch`` against the already registered ones."""
    report = _Report()
    checked: list[_Checked] = []
    keys = set(registry.domains)
    for position, domain in enumerate(batch):
        if not isinstance(domain, Domain):
            report.add(f"déclaration n° {position + 1}", "", "",
                       f"objet Domain attendu, {_received(domain)}")
            continue
        key = domain.key if isinstance(domain.key, str) else repr(domain.key)
        owner = f"domaine « {key} »"
        if not isinstance(domain.key, str) or not DOMAIN_KEY.match(domain.key):
            report.add(owner, "", "key", "clé de domaine invalide : minuscules, chiffres et _ "
                       "attendus, commençant par une lettre")
            continue
        if domain.key in keys:
            report.add(owner, "", "key", "domaine déjà enregistré")
            continue
        keys.add(domain.key)
        checked.append(_typed(domain, owner, report))
    for one in checked:
        _prefixed(one, report)
        _own_fields(one, report)
        _web(one, report)
    _duplicates(checked, registry, report)
    metrics = set(registry.metrics) | {m.key for one in checked for _, _, m in one.each("metrics")}
    kinds = set(registry.asset_kinds) | {k.key for one in checked
                                         for _, _, k in one.each("asset_kinds")}
    for one in checked:
        _references(one, metrics, kinds, report)
    return sorted(report.errors, key=_order([one.owner for one in checked]))


def _order(owners: list[str]) -> Callable[[DeclarationError], tuple]:
    """Errors by domain, then in the order of the Domain's fields and of their elements (the
    checks' own order among the errors of one element)."""
    rank = {name: i for i, (name, _) in enumerate(field_hints(Domain))}

    def key(error: DeclarationError) -> tuple:
        parts = re.findall(r"\d+|[^\d\[\].]+", error.field)
        return (owners.index(error.owner) if error.owner in owners else -1,
                rank.get(parts[0] if parts else "", -1),
                tuple(int(p) for p in parts if p.isdigit()))

    return key
