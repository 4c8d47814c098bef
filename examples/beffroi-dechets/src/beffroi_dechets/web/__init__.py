"""What waste collection adds to the web interface: its dashboard (the round suggestion
per commune, every container with its fill level and trend, the open alerts) and the map
colouring by fill level. The browser files are in ``static/``, served under
``/static/domains/waste/``."""

from pathlib import Path

from beffroi.plugin import MapClass, MapStyle, Page

from ..metrics import FILL
from ..tour import STALE_AFTER_MS

WEB_DIR = str(Path(__file__).parent / "static")

PAGES = (Page("/dechets", "dechets.html", nav_label="Déchets"),)

# Colours with a 3:1 contrast on the map (as the lighting domain's); the shape and the
# label say the class as well.
MAP_STYLES = (
    MapStyle("waste.fill_level", "Taux de remplissage", ("waste.container",), metric=FILL,
             unit="%", max_age_s=STALE_AFTER_MS // 1000, missing="Pas de mesure récente",
             classes=(
                 MapClass("50 % ou moins", "#18753c", "circle", maximum=50),
                 MapClass("De 50 à 80 %", "#716100", "square", maximum=80),
                 MapClass("Plus de 80 %", "#ce0500", "triangle"),
             )),
)
