"""What the documentation names, checked against what exists: `beffroi …` commands against
the click CLI, API routes and pages against the FastAPI app.

Conventions of the documents (README.md, docs/*.md), which this module parses:

- A command is written in code, inline (`beffroi tenant show T`) or in a code block (a line
  starting with `beffroi`, possibly after `$ `, `sudo ` or `VAR=value `, or following `&&`,
  `;` or `$(`). Its words name groups and commands down to a command (or a group followed by
  `…` or a `<placeholder>`); every `--option` after it must be an option of that command,
  and a literal value of a choice option (`--kind chirpstack|tts`) one of its choices.
  `beffroi tenant list | show T` names two sibling commands; `[--a | --b]` two options;
  after ` | `, a word that is not a sibling command starts another program (a shell pipe).
  A synopsis line continues on the next lines that start with spaces then `[` or `--`.
- A route is written in code as `METHOD PATH` (`GET /api/v1/health`) or `PATH` alone (it
  must then exist with some method). PATH is absolute (`/api/v1/…`, `/carte`) or a short
  form `…/suffix` (`GET …/lighting/summary`: some route ends with these segments). A
  trailing `/…` means "a route under this prefix" (`/api/v1/tenants/{territoire}/lighting/…`).
  Parameters are written in braces with any name (`{territoire}`, `{id}`), or as literal
  values (`oncall/2026-03-09`). Query parameters (`?year=AAAA[&commune=INSEE]`) must be
  declared by the route. URLs in code blocks (`http://…/api/v1/…`) are routes too.
  `…/x` is always a route: write MQTT topics in full (`beffroi/{territoire}/devices/…`).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from fastapi.routing import iter_route_contexts
from markdown_it import MarkdownIt

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Absolute paths that are files of the machine, not routes (`/etc/mosquitto/beffroi`).
FILE_ROOTS = {"etc", "var", "usr", "opt", "srv", "run", "tmp", "home", "root", "dev", "proc",
              "lib", "bin", "sbin", "mnt", "media", "boot", "sys"}
ELLIPSIS = ("…", "...")
API_ROOT = "/api/v1"  # named alone as "the API is served under /api/v1"


@dataclass(frozen=True)
class Reference:
    """One command or route named by a document, and where."""

    source: str  # "README.md:123"
    text: str


def code_of(path: Path) -> Iterator[tuple[str, str, str]]:
    """("inline" | "block", text, "file:line") for every code span and code block line."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for token in MarkdownIt("commonmark").enable("table").parse(source):
        first, last = token.map or (0, 0)
        if token.type in ("fence", "code_block"):
            for offset, text in enumerate(token.content.splitlines()):
                yield "block", text, f"{path.name}:{first + 1 + offset + (token.type == 'fence')}"
        for child in token.children or ():
            if child.type == "code_inline":
                text = " ".join(child.content.split())
                start = text.split(" ")[0]  # the line where the span starts
                line = next((n for n in range(first, last) if f"`{start}" in lines[n]), first)
                yield "inline", text, f"{path.name}:{line + 1}"


# --- commands -------------------------------------------------------------------------------

# `beffroi` where a shell or a unit file runs it: at the start, after `&&`, `;`, `||`, `$(`
# or a unit file's `ExecStart=`, after `$ `, `sudo [-u USER] ` or `VAR=value `, possibly as a full path.
_COMMAND_START = re.compile(r"(?:^|&&|;|\|\||\$\(|\b[A-Z]\w*=)\s*(?:\$\s+|sudo\s+(?:-u\s+\S+\s+)?|"
                            r"[A-Z_]+=\S+\s+)*(?:/\S*/)?beffroi\s+((?:(?!&&|;|\|\|).)*)")


def command_lines(kind: str, text: str, previous: str | None) -> tuple[list[str], str | None]:
    """The command texts (after `beffroi `) a code line starts or continues."""
    if kind == "block":
        stripped = text.strip()
        if previous is not None and text[:1].isspace() and stripped.startswith(("[", "--")):
            return [], previous + " " + re.split(r"\s{2,}|\s#\s", stripped)[0]
        text = re.split(r"\s#\s", text)[0]
    found = []
    for match in _COMMAND_START.finditer(text):
        rest = match.group(1)
        if kind == "block":
            rest = re.split(r"\s{2,}", rest.strip())[0]  # a synopsis' description
        found.append(rest)
    return found, (found[-1] if kind == "block" and found else None)


def commands_in(paths: list[Path]) -> Iterator[Reference]:
    for path in paths:
        pending: tuple[str, str] | None = None  # a synopsis line that may continue
        for kind, text, where in code_of(path):
            found, continued = command_lines(kind, text, pending[1] if pending else None)
            if kind == "block" and not found and continued is not None:
                pending = (pending[0], continued)
                continue
            if pending is not None:
                yield Reference(pending[0], "beffroi " + pending[1])
                pending = None
            for number, rest in enumerate(found):
                if kind == "block" and number == len(found) - 1:
                    pending = (where, rest)
                else:
                    yield Reference(where, "beffroi " + rest)
        if pending is not None:
            yield Reference(pending[0], "beffroi " + pending[1])


def _option(command: click.Command, name: str) -> click.Parameter | None:
    if name == "--help":
        return click.Option(["--help"], is_flag=True)
    for param in command.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def check_command(root: click.Group, text: str) -> list[str]:
    """Why `text` (`beffroi …`) names no existing command or option; [] when it does."""
    words = text.split()[1:]
    parent: click.Group | None = None
    command: click.Command = root
    path = ["beffroi"]
    errors: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if isinstance(command, click.Group):
            if word in command.commands:
                parent, command = command, command.commands[word]
                path.append(word)
                index += 1
                continue
            if word in ELLIPSIS or word.startswith("<"):
                return errors  # "beffroi lighting …": the group is named, not a command
            if not word.startswith(("-", "[")):
                return errors + [f"« {' '.join(path)} » n'a pas de commande « {word} »"]
        if word in ("&&", "||", ";", ">", ">>", "2>&1") or word.startswith(")"):
            break
        if word == "|":
            following = words[index + 1] if index + 1 < len(words) else ""
            if following.lstrip("[").startswith("-"):
                index += 1
                continue
            if parent is not None and following in parent.commands:
                command = parent.commands[following]
                path[-1] = following
                index += 2
                continue
            break  # a shell pipe
        name = word.strip("[]")
        if re.fullmatch(r"--?[a-zA-Z][\w-]*(=.*)?", name):
            option_name, _, inline_value = name.partition("=")
            option = _option(command, option_name)
            if option is None:
                errors.append(f"« {' '.join(path)} » n'a pas d'option « {option_name} »")
            elif isinstance(option.type, click.Choice):
                value = inline_value or (words[index + 1].strip("[]") if index + 1 < len(words)
                                         else "")
                for part in value.split("|"):
                    if re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", part) and part not in option.type.choices:
                        errors.append(f"« {' '.join(path)} {option_name} » n'accepte pas « {part} »"
                                      f" (choix : {', '.join(option.type.choices)})")
        index += 1
    if isinstance(command, click.Group) and command is root:
        errors.append("« beffroi » sans commande")
    return errors


# --- routes ---------------------------------------------------------------------------------

_ROUTE_SPAN = re.compile(rf"(?:(?P<method>{'|'.join(METHODS)}) )?(?P<path>(?:/|…/)\S*)")
_URL = re.compile(r"https?://[^/\s\"'`]+(?P<path>/api/v1/[^\s\"'`\\)]*)")


def routes_in(paths: list[Path]) -> Iterator[tuple[Reference, str | None, str]]:
    """(reference, method or None, path with its query) for every route a document names."""
    for path in paths:
        for kind, text, where in code_of(path):
            if kind == "inline":
                match = _ROUTE_SPAN.fullmatch(text)
                if match and match["path"].strip("/").split("/")[0] not in FILE_ROOTS:
                    yield Reference(where, text), match["method"], match["path"]
            else:
                for url in _URL.finditer(text):
                    yield Reference(where, url["path"]), None, url["path"]


@dataclass(frozen=True)
class Route:
    methods: frozenset[str]
    segments: tuple[str, ...]
    query: frozenset[str] | None  # None: not declared in the OpenAPI document (pages, files)
    mount: bool = False  # a static directory: any path under it


def app_routes(app) -> list[Route]:
    document = app.openapi()["paths"]
    routes = []
    for context in iter_route_contexts(app.routes):
        path = context.path_format
        mount = path.endswith("/{path}") and not context.methods
        if mount:
            path = path[: -len("/{path}")]
        methods = frozenset(context.methods or ())
        query = None
        if path in document:
            query = frozenset(p["name"] for method in methods
                              for p in document[path].get(method.lower(), {}).get("parameters", ())
                              if p["in"] == "query")
        routes.append(Route(methods, tuple(path.strip("/").split("/")) if path != "/" else (),
                            query, mount))
    return routes


def _segment_matches(doc: str, route: str) -> bool:
    if route.startswith("{"):
        return True  # a parameter: a placeholder or a literal value
    return doc == route  # a doc placeholder `{id}` only stands for a parameter


def _matches(doc: tuple[str, ...], route: Route, suffix: bool, prefix: bool) -> bool:
    segments = route.segments
    if route.mount:
        return (len(doc) >= len(segments) and not suffix
                and all(_segment_matches(d, r) for d, r in zip(doc[:len(segments)], segments, strict=True)))
    if prefix:
        if suffix:  # …/x/…: some route contains these segments
            return any(_matches(doc, Route(route.methods, segments[i:i + len(doc)], None), False,
                                False) for i in range(len(segments) - len(doc) + 1))
        segments = segments[: len(doc)]
    elif suffix:
        segments = segments[-len(doc):] if len(doc) <= len(segments) else ()
    return len(segments) == len(doc) and all(
        _segment_matches(d, r) for d, r in zip(doc, segments, strict=True))


def check_route(routes: list[Route], method: str | None, text: str) -> list[str]:
    """Why `METHOD PATH?query` names no existing route; [] when it does."""
    path, _, query = text.partition("?")
    query_names = set(re.findall(r"(?:^|[&\[])([A-Za-z_][\w]*)=", query))
    suffix = path.startswith(ELLIPSIS)
    path = re.sub(r"^(…|\.\.\.)", "", path)
    prefix = path.endswith(("/…", "/..."))
    if prefix:
        path = path.rsplit("/", 1)[0]
    if path == API_ROOT:
        prefix = True
    doc = tuple(segment for segment in path.strip("/").split("/") if segment)
    label = f"{method + ' ' if method else ''}{text}"
    candidates = [r for r in routes if _matches(doc, r, suffix, prefix)]
    if not candidates:
        return [f"aucune route ne correspond à « {label} »"]
    if method is not None:
        candidates = [r for r in candidates if method in r.methods]
        if not candidates:
            return [f"la route « {label} » n'accepte pas la méthode {method}"]
    if query_names and not any(r.query is None or query_names <= r.query for r in candidates):
        known = sorted(set().union(*(r.query for r in candidates)))
        return [f"« {label} » : paramètre(s) {', '.join(sorted(query_names - set(known)))} "
                f"inconnu(s) (connus : {', '.join(known) or 'aucun'})"]
    return []


# --- source paths and modules ---------------------------------------------------------------

_PATH_SPAN = re.compile(r"[\w.<>-]+(?:/[\w.<>-]+)*/?")
_DOTTED = re.compile(r"beffroi(?:\.\w+)+")


def _path_roots(repo: Path) -> tuple[set[str], list[Path]]:
    """First segments that make a span a path of the repository, and where to look."""
    package = repo / "src" / "beffroi"
    inner = {p.name for p in package.iterdir() if not p.name.startswith(("_", "."))}
    return {"src", "tests", "bench", "scripts", "docs", "examples", *inner}, [repo, package]


def paths_in(paths: list[Path], repo: Path) -> Iterator[Reference]:
    """Source paths (`core/observations.py`, `src/beffroi/connectivity/`, `tests/…`) and
    dotted names (`beffroi.core.clock.now_ms`) named in code spans. A bare file name
    (`schema.py`) is not checked: the text around it says where it is."""
    first_segments, _ = _path_roots(repo)
    modules = {name.removesuffix(".py") for name in first_segments}
    for path in paths:
        for kind, text, where in code_of(path):
            if kind != "inline":
                continue
            # `beffroi.core.clock.now_ms` but not a file name (`beffroi.db`, `beffroi.env`)
            if (_DOTTED.fullmatch(text) and text.split(".")[1] in modules) or (
                    _PATH_SPAN.fullmatch(text) and "/" in text
                    and text.split("/")[0] in first_segments):
                yield Reference(where, text)


def check_path(text: str, repo: Path) -> list[str]:
    """Why a source path or dotted name of the documents names nothing; [] when it exists."""
    if _DOTTED.fullmatch(text):
        parts = text.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                target = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attribute in parts[cut:]:
                if not hasattr(target, attribute):
                    return [f"« {text} » : {'.'.join(parts[:cut])} n'a pas de « {attribute} »"]
                target = getattr(target, attribute)
            return []
        return [f"« {text} » : aucun module"]
    _, roots = _path_roots(repo)
    pattern = re.sub(r"<[^/>]*>", "*", text.rstrip("/"))  # a <placeholder>: any name
    for root in roots:
        found = [p for p in root.glob(pattern) if p.is_dir() or not text.endswith("/")]
        if found:
            return []
    return [f"« {text} » : aucun fichier ni dossier de ce nom dans le dépôt"]


def broken_links(paths: list[Path]) -> list[str]:
    """Relative Markdown links whose file does not exist (`[eau](docs/eau.md#fuites)`)."""
    errors = []
    for path in paths:
        for token in MarkdownIt("commonmark").enable("table").parse(
                path.read_text(encoding="utf-8")):
            for child in token.children or ():
                href = str(child.attrs.get("href", "")) if child.type == "link_open" else ""
                target = href.split("#")[0]
                if target and "://" not in target and not target.startswith("mailto:") \
                        and not (path.parent / target).exists():
                    line = (token.map[0] + 1) if token.map else 0
                    errors.append(f"{path.name}:{line} : lien vers « {href} », qui n'existe pas")
    return errors
