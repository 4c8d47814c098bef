"""What public buildings add to the web interface: the buildings page (``/batiments``:
buildings ranked by energy per m² over a year and by the energy and money at stake in their
open anomalies, the décret tertiaire trajectory of each subject building, the rooms above
1,500 ppm of CO2 today), the panels of a building's page (energy signature, décret
trajectory, CO2 of its rooms by hour of the week, meters and their last readings; every
chart has its table) and the yearly ventilation evaluation report of a school
(``/batiments/aeration?batiment=ID&annee=2025-2026``: measurements, ICONE and CO2 class per
room, findings, action plan; printable, with its PDF). Browser files in ``static/``, served
under ``/static/domains/buildings/``."""

from pathlib import Path

from ....core.registry import Page, Panel

WEB_DIR = str(Path(__file__).parent / "static")
BUILDING = ("buildings.building",)

PAGES = (
    Page("/batiments", "batiments.html", nav_label="Bâtiments"),
    Page("/batiments/aeration", "aeration.html"),
)

PANELS = (
    Panel(BUILDING, "signature.js", "Signature énergétique"),
    Panel(BUILDING, "trajectoire.js", "Trajectoire du décret tertiaire"),
    Panel(BUILDING, "co2-semaine.js", "CO2 des pièces par heure de la semaine"),
    Panel(BUILDING, "compteurs.js", "Compteurs et derniers relevés"),
)
