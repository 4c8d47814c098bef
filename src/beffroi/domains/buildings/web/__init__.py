"""What public buildings add to the web interface: the buildings page (``/batiments``:
buildings ranked by electricity per m² over a year and by the energy and money at stake in
their open anomalies, the décret tertiaire trajectory of each subject building, the rooms
above 1,500 ppm of CO2 today) and the panels of a building's page (energy signature, décret
trajectory, CO2 of its rooms by hour of the week, meters and their last readings). Every
chart has its table. Browser files in ``static/``, served under ``/static/domains/buildings/``."""

from pathlib import Path

from ....core.registry import Page, Panel

WEB_DIR = str(Path(__file__).parent / "static")
BUILDING = ("buildings.building",)

PAGES = (
    Page("/batiments", "batiments.html", nav_label="Bâtiments"),
)

PANELS = (
    Panel(BUILDING, "signature.js", "Signature énergétique"),
    Panel(BUILDING, "trajectoire.js", "Trajectoire du décret tertiaire"),
    Panel(BUILDING, "co2-semaine.js", "CO2 des pièces par heure de la semaine"),
    Panel(BUILDING, "compteurs.js", "Compteurs et derniers relevés"),
)
