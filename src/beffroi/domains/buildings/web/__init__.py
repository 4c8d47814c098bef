"""What public buildings add to the web interface: the yearly ventilation evaluation report
of a school (``/batiments/aeration?batiment=ID&annee=2025-2026``: measurements, ICONE and
CO2 class per room, findings, action plan; printable, with its PDF). Browser files in
``static/``, served under ``/static/domains/buildings/``."""

from pathlib import Path

from ....core.registry import Page

WEB_DIR = str(Path(__file__).parent / "static")

PAGES = (
    Page("/batiments/aeration", "aeration.html"),
)
