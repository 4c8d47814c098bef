"""``beffroi dev new-domain KEY``: the files of a minimal domain package, ready to install.

The package is laid out like the waste example (``examples/beffroi-dechets``): its own
``pyproject.toml`` declaring the ``beffroi.domains`` entry point, a ``src/`` package whose
``DOMAIN`` declares one asset kind and one metric, importing ``beffroi.plugin`` only, and a
test of its registration. The suite generates one and runs its test
(``tests/cli/test_scaffold.py``), so that what this writes keeps working.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

KEY = re.compile(r"[a-z][a-z0-9_]{1,29}")


class ScaffoldError(ValueError):
    """Why the package cannot be written (French)."""


def check_key(key: str, taken: set[str]) -> None:
    if not KEY.fullmatch(key) or keyword.iskeyword(key):
        raise ScaffoldError(f"clé « {key} » invalide : 2 à 30 caractères, lettres minuscules "
                            "sans accent, chiffres et « _ », en commençant par une lettre "
                            "(elle préfixe les types d'équipements et les mesures : "
                            f"« {key.lower()}.site »).")
    if key in taken:
        raise ScaffoldError(f"un domaine « {key} » est déjà installé : choisissez une autre clé "
                            "(beffroi domains les liste).")


def package_files(key: str, label: str) -> dict[str, str]:
    """Relative path -> text of every file of the package ``beffroi-{key}``."""
    module = f"beffroi_{key}"
    values = {"key": key, "label": label, "module": module,
              "dist": f"beffroi-{key.replace('_', '-')}"}
    return {name.format(**values): text.format(**values) for name, text in _FILES.items()}


def write_package(directory: Path, key: str, label: str) -> list[Path]:
    """Write the package into ``directory`` (created; refused if it holds anything)."""
    if directory.exists() and any(directory.iterdir()):
        raise ScaffoldError(f"le dossier {directory} existe et n'est pas vide.")
    written = []
    for name, text in package_files(key, label).items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


_PYPROJECT = '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "{label} : un domaine pour Beffroi"
requires-python = ">=3.11"
dependencies = ["beffroi"]

[project.optional-dependencies]
test = ["pytest>=8"]

# How Beffroi finds the domain: the same entry point as its built-in domains.
[project.entry-points."beffroi.domains"]
{key} = "{module}:DOMAIN"

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

_README = '''# {label}

Un domaine pour [Beffroi](https://…/beffroi), créé par `beffroi dev new-domain {key}`.
Il déclare ce qu'il ajoute (types d'équipements, mesures…) dans `src/{module}/__init__.py`
et n'importe que `beffroi.plugin`, l'interface publique des extensions.

```sh
pip install -e .            # dans l'environnement où Beffroi est installé
beffroi domains             # le domaine « {key} » apparaît, avec sa version et son paquet
pip install -e '.[test]' && pytest
```

Au démarrage, Beffroi vérifie chaque déclaration et refuse un domaine mal déclaré avec un
message qui nomme le champ en cause.
'''

_INIT = '''"""{label} : un domaine Beffroi.

Tout ce que le domaine ajoute est déclaré sur ``DOMAIN``, que Beffroi trouve par le point
d'entrée ``beffroi.domains`` de ``pyproject.toml``. Les clés des types d'équipements et des
mesures commencent par celle du domaine (« {key}. »). Libellés en français : ils sont montrés
aux utilisateurs ; unités en codes UCUM (« % », « Cel », « m3 »…).
"""

from beffroi.plugin import AssetKind, Domain, Metric, PropertySpec

LEVEL = Metric("{key}.level", "Niveau", "%", minimum=0, maximum=100)

SITE = AssetKind(
    key="{key}.site",
    label="Site",
    properties=(
        PropertySpec("capacity", "number", "Capacité", unit="m3", minimum=0),
    ),
    metrics=(LEVEL.key,),
)

DOMAIN = Domain(
    key="{key}",
    label="{label}",
    asset_kinds=(SITE,),
    metrics=(LEVEL,),
)
'''

_TEST = '''"""The domain is accepted by Beffroi's registry, and a wrong declaration is refused."""

from dataclasses import replace

import pytest
from beffroi.plugin import Registry, RegistryError

from {module} import DOMAIN, SITE


def test_the_domain_is_accepted_at_registration():
    registry = Registry()
    registry.register(DOMAIN)
    assert registry.domains["{key}"] is DOMAIN
    assert registry.asset_kinds["{key}.site"].metrics == ("{key}.level",)
    assert registry.metrics["{key}.level"].unit == "%"


def test_a_kind_naming_an_unknown_metric_is_refused():
    wrong = replace(DOMAIN, asset_kinds=(replace(SITE, metrics=("{key}.nowhere",)),))
    with pytest.raises(RegistryError) as refused:
        Registry().register(wrong)
    assert "{key}.nowhere" in str(refused.value)


def test_a_kind_outside_the_domain_is_refused():
    wrong = replace(DOMAIN, asset_kinds=(replace(SITE, key="other.site"),))
    with pytest.raises(RegistryError) as refused:
        Registry().register(wrong)
    assert "other.site" in str(refused.value)
'''

_FILES = {
    "pyproject.toml": _PYPROJECT,
    "README.md": _README,
    "src/{module}/__init__.py": _INIT,
    "tests/test_{key}.py": _TEST,
}
