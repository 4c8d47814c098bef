"""What public lighting adds to the web interface: its dashboard and printable
compliance report, the cabinet panel of the asset page, and the map's colouring by
colour temperature. The browser files are in ``static/``, served under
``/static/domains/lighting/``."""

from pathlib import Path

from ....core.registry import MapClass, MapStyle, Page, Panel

WEB_DIR = str(Path(__file__).parent / "static")

PAGES = (
    Page("/eclairage", "eclairage.html", nav_label="Éclairage"),
    Page("/eclairage/conformite", "conformite.html"),
)

PANELS = (
    Panel(("lighting.cabinet",), "armoire.js", "Programme, urgence et énergie de l'armoire"),
)

# Art. 3 of the arrêté du 27 décembre 2018: 3000 K at most (a, d, e); 2400 K in nature
# reserves (art. 4).
MAP_STYLES = (
    MapStyle("lighting.color_temperature", "Température de couleur", ("lighting.luminaire",),
             "color_temperature_k", (
                 MapClass("2 400 K ou moins (ambrée)", "#c45400", "circle", maximum=2400),
                 MapClass("2 401 à 3 000 K (blanc chaud)", "#716100", "square", maximum=3000),
                 MapClass("Plus de 3 000 K (blanc froid)", "#0063cb", "triangle"),
             ), unit="K", missing="Température non renseignée"),
)
