"""The README and docs/ must document every CLI command and every tenant setting."""

from __future__ import annotations

from pathlib import Path

import click

from beffroi.cli.main import add_domain_commands, cli
from beffroi.core.settings import DEFAULTS

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README = "\n".join(path.read_text(encoding="utf-8") for path in DOCS)


def _commands(group: click.Group, prefix: str = "beffroi"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from _commands(command, path)
        else:
            yield path


def test_every_cli_command_is_in_the_readme():
    commands = list(_commands(add_domain_commands(cli)))
    assert len(commands) >= 10
    missing = [c for c in commands if c not in README and
               not any(c.rsplit(" ", 1)[0] in line and c.rsplit(" ", 1)[1] in line
                       for line in README.splitlines())]
    assert missing == []


def test_every_tenant_setting_is_in_the_readme():
    assert [key for key in DEFAULTS if f"`{key}`" not in README] == []
