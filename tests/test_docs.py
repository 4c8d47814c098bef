"""The documents keep to the code: the README and docs/*.md document every CLI command and
every tenant setting, and every command, option and route they name exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from beffroi.api.app import create_app
from beffroi.cli.main import add_domain_commands, cli
from beffroi.core.registry import load_registry
from beffroi.core.settings import DEFAULTS
from beffroi.storage.database import Database
from doc_references import (
    app_routes,
    broken_links,
    check_command,
    check_path,
    check_route,
    commands_in,
    paths_in,
    routes_in,
)

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README = "\n".join(path.read_text(encoding="utf-8") for path in DOCS)


def _commands(group, prefix: str = "beffroi"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            yield from _commands(command, path)
        else:
            yield path


@pytest.fixture(scope="module")
def root():
    return add_domain_commands(cli)


@pytest.fixture(scope="module")
def routes():
    """The routes of an app with every installed domain (it never opens its database)."""
    return app_routes(create_app(Database("sqlite://"), load_registry()))


def test_every_cli_command_is_in_the_docs(root):
    commands = list(_commands(root))
    assert len(commands) >= 10
    missing = [c for c in commands if c not in README and
               not any(c.rsplit(" ", 1)[0] in line and c.rsplit(" ", 1)[1] in line
                       for line in README.splitlines())]
    assert missing == []


def test_every_tenant_setting_is_in_the_docs():
    assert [key for key in DEFAULTS if f"`{key}`" not in README] == []


def test_every_command_and_option_the_docs_name_exists(root):
    references = list(commands_in(DOCS))
    assert len(references) > 50  # the parser still finds them
    errors = [f"{ref.source} « {ref.text} » : {error}"
              for ref in references for error in check_command(root, ref.text)]
    assert errors == []


def test_every_route_the_docs_name_exists(routes):
    references = list(routes_in(DOCS))
    assert len(references) > 100
    errors = [f"{ref.source} : {error}"
              for ref, method, path in references for error in check_route(routes, method, path)]
    assert errors == []


def test_every_source_path_and_module_the_docs_name_exists():
    references = list(paths_in(DOCS, ROOT))
    assert len(references) > 60
    errors = [f"{ref.source} : {error}"
              for ref in references for error in check_path(ref.text, ROOT)]
    assert errors == []


def test_every_relative_link_of_the_docs_leads_to_a_file(tmp_path):
    assert broken_links(DOCS) == []
    (tmp_path / "a.md").write_text("[b](b.md), [README](a.md#titre), [web](https://x.fr/y.md)"
                                   ", [c](docs/c.md#z)\n", encoding="utf-8")
    assert broken_links([tmp_path / "a.md"]) == [
        "a.md:1 : lien vers « b.md », qui n'existe pas",
        "a.md:1 : lien vers « docs/c.md#z », qui n'existe pas"]


def test_a_document_naming_what_does_not_exist_is_caught(tmp_path, root, routes):
    """The checks fail on wrong names, in every form the documents use."""
    doc = tmp_path / "faux.md"
    doc.write_text("""# Faux

`beffroi tenant frobnicate T`, `beffroi tenant create --colour bleu`, `beffroi nothing`,
`beffroi integration create --tenant T --kind chirpstack|lorawan-x`.

```
beffroi user deactivate E | activate E [--force]
beffroi device create --tenant T --name NOM
                      [--asset REF] [--no-such-option X]
beffroi db upgrade && beffroi db downgrade
```

`GET /api/v1/nowhere`, `DELETE /api/v1/health`, `GET …/lighting/nowhere`,
`GET …/lighting/summary?year=2026&colour=bleu`, `/carte-inconnue`, `POST …/alerts/{id}/snooze`,
`/api/v1/tenants/{territoire}/gardening/…`.

```sh
curl http://127.0.0.1:8000/api/v1/tenants/1/nothing
```

`core/nowhere.py`, `src/beffroi/domains/<domaine>/nowhere.py`, `tests/nowhere/`,
`beffroi.core.clock.nowhere`, `beffroi.core.nowhere`, `connectivity/uplink.py/`.
""", encoding="utf-8")
    path_errors = {ref.text: check_path(ref.text, ROOT)
                   for ref in paths_in([doc], ROOT)}
    assert list(path_errors) == [
        "core/nowhere.py", "src/beffroi/domains/<domaine>/nowhere.py", "tests/nowhere/",
        "beffroi.core.clock.nowhere", "beffroi.core.nowhere", "connectivity/uplink.py/"]
    assert all(path_errors.values()), path_errors
    command_errors = {ref.text: check_command(root, ref.text) for ref in commands_in([doc])}
    assert [text for text, errors in command_errors.items() if errors] == [
        "beffroi tenant frobnicate T", "beffroi tenant create --colour bleu", "beffroi nothing",
        "beffroi integration create --tenant T --kind chirpstack|lorawan-x",
        "beffroi user deactivate E | activate E [--force]",
        "beffroi device create --tenant T --name NOM [--asset REF] [--no-such-option X]",
        "beffroi db downgrade"]
    assert command_errors["beffroi tenant create --colour bleu"] == [
        "« beffroi tenant create » n'a pas d'option « --colour »"]
    assert "lorawan-x" in command_errors[
        "beffroi integration create --tenant T --kind chirpstack|lorawan-x"][0]
    route_errors = [(ref.text, check_route(routes, method, path))
                    for ref, method, path in routes_in([doc])]
    assert len(route_errors) == 8 and all(errors for _, errors in route_errors), route_errors
    assert route_errors[1][1] == ["la route « DELETE /api/v1/health » n'accepte pas la méthode DELETE"]
    assert "colour" in route_errors[3][1][0] and "year" in route_errors[3][1][0]


def test_the_checks_accept_the_forms_the_documents_use(tmp_path, root, routes):
    doc = tmp_path / "vrai.md"
    doc.write_text("""`beffroi lighting …`, `beffroi <domaine>`, `beffroi user create --email E
[--operator-admin | --tenant T --role R]`, `beffroi demo --no-serve`.

```
beffroi tenant list | show T | set T [--retention-days N]
beffroi mqtt quarantine | jq .
ExecStart=/opt/beffroi/.venv/bin/beffroi serve --db /var/lib/beffroi/beffroi.db --port 8000
sudo -u beffroi BEFFROI_DATABASE_URL=x /opt/beffroi/bin/beffroi db upgrade
```

`GET /api/v1/health`, `GET …/lighting/summary?year=AAAA[&commune=INSEE]`, `…/decline`,
`PUT /api/v1/tenants/{t}/oncall/2026-03-09`, `/api/v1`, `/static/domains/<domaine>/`,
`/api/v1/tenants/{territoire}/lighting/…`, `/carte?couleur=lighting.color_temperature`,
`/etc/systemd/system/beffroi.service`.

`core/observations.py`, `src/beffroi/domains/<domaine>/`, `tests/web/conftest.py`,
`beffroi.core.clock.now_ms`, `beffroi.domains`, `beffroi.decoders`, `bench/`,
`var/beffroi.db`, `Europe/Paris`, `schema.py`, `beffroi.db`, `beffroi.env`.
""", encoding="utf-8")
    paths = [ref.text for ref in paths_in([doc], ROOT)]
    assert paths == ["core/observations.py", "src/beffroi/domains/<domaine>/",
                     "tests/web/conftest.py", "beffroi.core.clock.now_ms", "beffroi.domains",
                     "bench/"]  # not `beffroi.decoders` (an entry point group), nor files
    assert [check_path(p, ROOT) for p in paths] == [[]] * 6
    commands = [ref.text for ref in commands_in([doc])]
    assert len(commands) == 8, commands
    assert {text: check_command(root, text) for text in commands} == {text: [] for text in commands}
    named = [(method, path) for _, method, path in routes_in([doc])]
    assert len(named) == 8, named  # not the file under /etc
    assert [check_route(routes, method, path) for method, path in named] == [[]] * 8
