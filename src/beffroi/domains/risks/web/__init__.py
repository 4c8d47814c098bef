"""What climate risks add to the web interface: the risks page (river stations against their
vigilance thresholds, upstream first, with their trend; heat and fire-weather levels, of the
coming days where forecasts are imported; the open risk alerts; the way into the crisis
mode), the crisis mode (``/risques/crise``: the
current event's main courante, the zones concerned, the population alert and its delivery
log), the call list of the vulnerable-persons register (``/risques/appels``, for the
register's referents, on a phone and printable), the register's enrolment page
(``/risques/registre``: persons, enrolment form, referents) and the river gauge panel of the
asset page (level chart with vigilance thresholds and historic floods, trend in words, the
values as a table). Browser files in ``static/``, served under ``/static/domains/risks/``."""

from pathlib import Path

from ....core.registry import Page, Panel

WEB_DIR = str(Path(__file__).parent / "static")

PAGES = (
    Page("/risques", "risques.html", nav_label="Risques"),
    Page("/risques/appels", "appels.html"),
    Page("/risques/crise", "crise.html"),
    Page("/risques/registre", "registre.html"),
)

PANELS = (
    Panel(("risks.gauge",), "station.js", "Hauteur d'eau, seuils et crues historiques"),
)
