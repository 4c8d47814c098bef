"""What climate risks add to the web interface: the call list of the vulnerable-persons
register (``/risques/appels``, for the register's referents, on a phone and printable). The
browser files are in ``static/``, served under ``/static/domains/risks/``."""

from pathlib import Path

from ....core.registry import Page

WEB_DIR = str(Path(__file__).parent / "static")

PAGES = (
    Page("/risques/appels", "appels.html"),
)
