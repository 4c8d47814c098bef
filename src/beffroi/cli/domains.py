"""``beffroi domains``: the installed domains, their version and where they come from."""

from __future__ import annotations

import click
import orjson

from ..core.installed_domains import InstalledDomain, installed_domains

BUILTIN = "intégré"


def _origin(item: InstalledDomain) -> str:
    if item.builtin:
        return BUILTIN
    return item.distribution or "inconnue"


def _public(item: InstalledDomain) -> dict:
    d = item.domain
    return {"key": item.name, "label": d.label if d else None, "version": item.version,
            "origin": "builtin" if item.builtin else "extension",
            "distribution": item.distribution, "entry_point": item.target,
            "asset_kinds": [k.key for k in d.asset_kinds] if d else [],
            "metrics": [m.key for m in d.metrics] if d else [],
            "error": item.error}


@click.command("domains")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (une liste d'objets).")
def domains_command(as_json: bool) -> None:
    """Liste les domaines installés, avec leur version et leur origine."""
    found = installed_domains()
    if as_json:
        click.echo(orjson.dumps([_public(x) for x in found], option=orjson.OPT_INDENT_2))
    else:
        rows = [("clé", "libellé", "version", "origine")] + [
            (x.name, x.domain.label if x.domain else "—", x.version or "?", _origin(x))
            for x in found]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        click.echo(f"{len(found)} domaine{'s' if len(found) > 1 else ''} installé"
                   f"{'s' if len(found) > 1 else ''} :")
        for row in rows:
            click.echo("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False))
                       + "  " + row[3])
        for x in found:
            if x.error:
                click.echo(f"Erreur du domaine « {x.name} » ({x.target}) : {x.error}", err=True)
    if any(x.error for x in found):
        raise SystemExit(1)
