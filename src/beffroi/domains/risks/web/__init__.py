"""What climate risks add to the web interface: the river gauge panel of the asset page
(level chart with vigilance thresholds and historic floods, trend in words, the values as a
table). The browser files are in ``static/``, served under ``/static/domains/risks/``."""

from pathlib import Path

from ....core.registry import Panel

WEB_DIR = str(Path(__file__).parent / "static")

PANELS = (
    Panel(("risks.gauge",), "station.js", "Hauteur d'eau, seuils et crues historiques"),
)
