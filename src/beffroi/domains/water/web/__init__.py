"""What drinking water adds to the web interface: its dashboard (sectors on a map by leak
status or ILP class, open leaks with the water lost, RPQS indicators with the décret
verdict), the page where a service's yearly figures are entered, the sector panel of the
asset page (night-flow chart with its reference band and the leaks' onsets) and the service
panel (the same yearly figures form). The browser files are in ``static/``, served under
``/static/domains/water/``."""

from pathlib import Path

from ....core.registry import Page, Panel

WEB_DIR = str(Path(__file__).parent / "static")

PAGES = (
    Page("/eau", "eau.html", nav_label="Eau potable"),
    Page("/eau/volumes", "volumes.html"),
)

PANELS = (
    Panel(("water.sector",), "secteur.js", "Débit de nuit et fuites du secteur"),
    Panel(("water.service",), "service.js", "Volumes annuels (RPQS)"),
)
