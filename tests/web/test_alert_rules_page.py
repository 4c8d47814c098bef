"""« Règles d'alerte » (/alertes/regles): the rules written in French, the form that creates
and edits them (its fields follow the kind, decimal comma, durations in minutes or hours),
the API's refusals beside their fields, enabling, deleting, a viewer's read-only view, and
a rule made in the page raising an alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from suite_apps import fresh_app

from beffroi.core import assets, streams
from beffroi.core.access import CLI, open_scope

from .conftest import (
    AT_DESK,
    ON_PHONE,
    PASSWORD,
    assert_accessible,
    login,
    open_menu,
    screenshot,
    wait_for,
)

PAGE = "/alertes/regles"
NBSP = "\u00a0"


def _client(web_db, web_registry, email: str = "agent@cc-vosges.fr") -> TestClient:
    """The API as `email` (a browser session: its anti-CSRF token on every write)."""
    client = TestClient(fresh_app(web_db, web_registry))
    assert client.post("/api/v1/auth/login", json={"email": email,
                                                   "password": PASSWORD}).status_code == 200
    client.headers["X-CSRF-Token"] = client.get("/api/v1/auth/csrf").json()["csrf_token"]
    return client


def _rules(client, territory) -> list[dict]:
    return client.get(f"/api/v1/tenants/{territory['tenant']}/alert-rules").json()


def _create(client, territory, rule: dict) -> dict:
    response = client.post(f"/api/v1/tenants/{territory['tenant']}/alert-rules", json=rule)
    assert response.status_code == 201, response.text
    return response.json()


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} j"
    hours, minutes = divmod(seconds // 60, 60)
    return " ".join(([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes else []))


def _sentence(rule: dict, unit: str = "", states: dict | None = None) -> str:
    """What the page must write for `rule`, derived from its params (spaces as plain ones)."""
    p = rule["params"]

    def q(v: float) -> str:
        return f"{_number(v)} {unit}" if unit else _number(v)

    if rule["kind"] == "threshold":
        text = ("au-dessus de " if p["operator"] == "above" else "en dessous de ") + q(p["value"])
        if p.get("min_duration_s"):
            text += f" pendant {_duration(p['min_duration_s'])}"
        if p.get("hysteresis"):
            text += f" (hystérésis {q(p['hysteresis'])})"
        return text
    if rule["kind"] == "rate_of_change":
        return (("hausse" if p["direction"] == "rise" else "baisse")
                + f" de plus de {q(p['amount'])} en {_duration(p['window_s'])}")
    if rule["kind"] == "no_data":
        return f"aucune donnée depuis {_duration(p['after_s'])}"
    return "état : " + ", ".join(states[s] for s in p["states"])


def _item(page, rule_id: int):
    return page.locator(f'#rules li[data-rule-id="{rule_id}"]')


def _facts(item) -> dict[str, str]:
    return {k: v.replace(NBSP, " ") for k, v in zip(
        item.locator("dt").all_inner_texts(), item.locator("dd").all_inner_texts(), strict=True)}


RULES = [
    {"name": "Réservoir bas", "kind": "threshold", "metric": "water.level",
     "commune": "88383", "asset_kind": "water.reservoir", "severity": "critical",
     "params": {"operator": "below", "value": 1.2, "hysteresis": 0.1, "min_duration_s": 600}},
    {"name": "Montée rapide", "kind": "rate_of_change", "metric": "hydro.level",
     "severity": "warning", "params": {"direction": "rise", "amount": 0.15, "window_s": 3600}},
    {"name": "Capteurs muets", "kind": "no_data", "metric": "hydro.level", "commune": "88413",
     "severity": "info", "params": {"after_s": 21600}, "enabled": False},
    {"name": "Bruit de fuite", "kind": "state_change", "metric": "water.leak_alarm",
     "severity": "warning", "params": {"states": [1, 2]}},
]


def test_the_list_writes_each_rule_in_french(page, server, size, territory, web_db,
                                             web_registry):
    client = _client(web_db, web_registry)
    made = [_create(client, territory, r) for r in RULES]
    crue = next(r for r in _rules(client, territory) if r["name"] == "Crue")
    login(page, server, then=PAGE)
    open_menu(page)
    nav = page.get_by_role("navigation", name="Menu principal")
    assert nav.get_by_role("link", name="Règles d'alerte").get_attribute("aria-current") == "page"
    page.locator("#count", has_text="(5)").wait_for()

    facts = _facts(_item(page, made[0]["id"]))
    assert facts["Surveille"] == "Niveau du réservoir — Réservoir, Remiremont"
    assert facts["Condition"] == _sentence(made[0], "m") \
        == "en dessous de 1,2 m pendant 10 min (hystérésis 0,1 m)"
    assert facts["Gravité"] == "Critique" and facts["État"] == "Active"
    assert facts["Alertes en cours"] == "aucune"
    assert facts["Nouvelle notification"] == "après 1 h"  # the API's default, 3 600 s
    facts = _facts(_item(page, made[1]["id"]))
    assert facts["Surveille"] == "Hauteur d'eau — tous les équipements, toutes les communes"
    assert facts["Condition"] == _sentence(made[1], "m") == "hausse de plus de 0,15 m en 1 h"
    facts = _facts(_item(page, made[2]["id"]))
    assert facts["Condition"] == _sentence(made[2]) == "aucune donnée depuis 6 h"
    assert facts["Surveille"].endswith("Saint-Étienne-lès-Remiremont")
    assert facts["Gravité"] == "Information" and facts["État"] == "Désactivée"
    facts = _facts(_item(page, made[3]["id"]))
    assert facts["Condition"] == _sentence(made[3], states={
        1: "fuite possible", 2: "fuite probable"}) == "état : fuite possible, fuite probable"
    # the fixture's rule watches one stream: its equipment named (and linked), its alert counted
    item = _item(page, crue["id"])
    facts = _facts(item)
    assert facts["Surveille"] == "Hauteur d'eau — Échelle de la Moselle"
    assert item.get_by_role("link", name="Échelle de la Moselle").get_attribute("href") == \
        f"/equipements/{territory['gauge']}"
    assert facts["Condition"] == _sentence(crue, "m") == "au-dessus de 2,5 m"
    assert facts["Alertes en cours"] == "1 alerte"
    # an agent gets the actions of each rule, named after it
    assert item.get_by_role("button", name="Désactiver la règle « Crue »").is_visible()
    assert_accessible(page)
    screenshot(page, "regles-alerte", size)


@ON_PHONE
def test_a_rule_made_in_the_page_raises_an_alert(page, server, size, territory, web_db,
                                                 web_registry):
    """« Alerte si la hauteur d'eau passe sous 1,2 m pendant 10 minutes », typed the French
    way; then two readings of 1 m ten minutes apart open its alert."""
    login(page, server, then=PAGE)
    page.locator("body[data-ready]").wait_for(state="attached")
    page.get_by_label("Nom de la règle").fill("Étiage de la Moselle")
    page.get_by_label("Mesure", exact=True).select_option(label="Hauteur d'eau (m)")
    page.get_by_label("Un seul équipement").check()
    equipment = page.get_by_role("combobox", name="Équipement")
    equipment.fill("moselle")  # (part of its name, found as typed)
    page.locator("#r-asset-status", has_text="1 équipement trouvé.").wait_for()
    page.get_by_role("option", name="Échelle de la Moselle ECH-MOSELLE").click()
    assert equipment.input_value() == "Échelle de la Moselle (ECH-MOSELLE)"
    assert equipment.get_attribute("aria-expanded") == "false"
    assert page.get_by_label("Type d'équipement").is_hidden()  # (only for a whole metric)
    page.get_by_label("Type de condition").select_option(label="Seuil franchi")
    page.get_by_label("Alerte quand la valeur passe").select_option(label="en dessous du seuil")
    assert page.locator('label[for="r-value"]').inner_text() == "Seuil (m)"  # the metric's unit
    page.get_by_label("Seuil (m)").fill("1,2")
    page.get_by_label("Hystérésis (m)").fill("0,05")
    page.get_by_label("Pendant au moins").fill("10")
    page.get_by_label("Unité de la durée minimale").select_option(label="minutes")
    page.get_by_label("Gravité", exact=True).select_option(label="Critique")
    page.get_by_role("button", name="Créer la règle").click()
    page.locator("#done", has_text="Règle « Étiage de la Moselle » créée.").wait_for()
    assert page.evaluate("document.activeElement.id") == "rules-title"
    assert page.get_by_label("Nom de la règle").input_value() == ""  # ready for another

    client = _client(web_db, web_registry)
    rule = next(r for r in _rules(client, territory) if r["name"] == "Étiage de la Moselle")
    assert rule["params"] == {"operator": "below", "value": 1.2, "hysteresis": 0.05,
                              "min_duration_s": 600}
    assert (rule["kind"], rule["stream_id"], rule["metric"], rule["severity"], rule["enabled"],
            rule["renotify_after_s"]) == ("threshold", territory["level"], None, "critical",
                                          True, 3600)
    assert _facts(_item(page, rule["id"]))["Condition"] == \
        "en dessous de 1,2 m pendant 10 min (hystérésis 0,05 m)"

    # two readings below the threshold, ten minutes apart (times derived from one start)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    tenant = territory["tenant"]
    readings = [{"stream_id": territory["level"], "value": 1.0,
                 "time": (start + timedelta(minutes=m)).isoformat()} for m in (0, 10)]
    assert client.post(f"/api/v1/tenants/{tenant}/observations",
                       json=readings).status_code == 200
    raised = [a for a in client.get(f"/api/v1/tenants/{tenant}/alerts",
                                    params={"status": "active"}).json()
              if a["rule_id"] == rule["id"]]
    assert len(raised) == 1
    assert (raised[0]["asset_id"], raised[0]["severity"], raised[0]["title"]) == (
        territory["gauge"], "critical", "Étiage de la Moselle — Échelle de la Moselle")
    # opened by the second reading: the first one at which the level had been low 10 minutes
    assert datetime.fromisoformat(raised[0]["opened_at"].replace("Z", "+00:00")) == \
        start + timedelta(minutes=10)
    page.reload()
    page.locator("#count", has_text="(2)").wait_for()
    assert _facts(_item(page, rule["id"]))["Alertes en cours"] == "1 alerte"


@AT_DESK
def test_a_refusal_is_shown_beside_its_field_and_nothing_is_stored(page, server, size,
                                                                   territory, web_db,
                                                                   web_registry):
    client = _client(web_db, web_registry)
    before = _rules(client, territory)
    login(page, server, then=PAGE)
    page.locator("body[data-ready]").wait_for(state="attached")
    # the fields follow the kind: a silence has no threshold
    page.get_by_label("Type de condition").select_option(label="Absence de données")
    assert page.get_by_label("Aucune donnée depuis").is_visible()
    assert page.locator("#r-value").is_hidden()
    page.get_by_label("Type de condition").select_option(label="Seuil franchi")
    page.get_by_label("Nom de la règle").fill("Réservoir bas")
    page.get_by_label("Mesure", exact=True).select_option(label="Niveau du réservoir (m)")
    page.get_by_label("Seuil (m)").fill("beaucoup")
    page.get_by_label("Hystérésis (m)").fill("-0,1")
    page.get_by_label("Pendant au moins").fill("10")
    page.get_by_role("button", name="Créer la règle").click()
    page.locator("#form-error", has_text="Règle d'alerte invalide.").wait_for()
    value = page.get_by_label("Seuil (m)")
    assert value.get_attribute("aria-invalid") == "true"
    assert page.locator("#r-value-error").inner_text() == "nombre attendu"
    assert "r-value-error" in value.get_attribute("aria-describedby")
    hysteresis = page.get_by_label("Hystérésis (m)")
    assert hysteresis.get_attribute("aria-invalid") == "true"
    assert page.locator("#r-hysteresis-error").inner_text() == "nombre ≥ 0"
    assert page.evaluate("document.activeElement.id") == "r-value"  # the first at fault
    assert page.get_by_label("Nom de la règle").get_attribute("aria-invalid") is None
    # what was typed stays, nothing is stored
    assert (value.input_value(), hysteresis.input_value()) == ("beaucoup", "-0,1")
    assert page.get_by_label("Pendant au moins").input_value() == "10"
    assert _rules(client, territory) == before
    assert_accessible(page)

    # corrected: stored, the marks gone
    value.fill("1,5")
    hysteresis.fill("")
    page.get_by_role("button", name="Créer la règle").click()
    page.locator("#done", has_text="Règle « Réservoir bas » créée.").wait_for()
    assert page.locator("[aria-invalid]").count() == 0
    rule = next(r for r in _rules(client, territory) if r["name"] == "Réservoir bas")
    assert rule["params"] == {"operator": "above", "value": 1.5, "hysteresis": 0,
                              "min_duration_s": 600}
    assert (rule["metric"], rule["stream_id"], rule["asset_kind"], rule["commune"]) == (
        "water.level", None, None, None)


@AT_DESK
def test_edit_then_disable_then_delete(page, server, size, territory, web_db, web_registry):
    client = _client(web_db, web_registry)
    rule = _create(client, territory, RULES[1])
    login(page, server, then=PAGE)
    item = _item(page, rule["id"])
    item.wait_for()
    item.get_by_role("button", name="Modifier la règle « Montée rapide »").click()
    page.get_by_role("heading", name="Modifier la règle « Montée rapide »").wait_for()
    assert page.evaluate("document.activeElement.id") == "form-title"
    # the form holds the rule, in the units people type
    assert page.get_by_label("Nom de la règle").input_value() == "Montée rapide"
    assert page.get_by_label("Type de condition").input_value() == "rate_of_change"
    assert page.get_by_label("De plus de (m)").input_value() == "0,15"
    assert page.get_by_label("En", exact=True).input_value() == "1"
    assert page.get_by_label("Unité de la durée de la variation").input_value() == "3600"
    page.get_by_label("Nom de la règle").fill("Montée très rapide")
    page.get_by_label("De plus de (m)").fill("0,3")
    page.get_by_label("En", exact=True).fill("30")
    page.get_by_label("Unité de la durée de la variation").select_option(label="minutes")
    page.get_by_label("Commune").select_option(label="Remiremont")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.locator("#done", has_text="Règle « Montée très rapide » modifiée.").wait_for()
    stored = client.get(f"/api/v1/tenants/{territory['tenant']}/alert-rules/{rule['id']}").json()
    assert (stored["name"], stored["params"], stored["commune"]) == (
        "Montée très rapide", {"direction": "rise", "amount": 0.3, "window_s": 1800}, "88383")
    assert _facts(item)["Condition"] == "hausse de plus de 0,3 m en 30 min"
    assert page.get_by_role("heading", name="Nouvelle règle").is_visible()

    item.get_by_role("button", name="Désactiver la règle « Montée très rapide »").click()
    page.locator("#done", has_text="Règle « Montée très rapide » désactivée.").wait_for()
    assert _facts(item)["État"] == "Désactivée"
    assert client.get(f"/api/v1/tenants/{territory['tenant']}/alert-rules/{rule['id']}"
                      ).json()["enabled"] is False
    assert page.evaluate("document.activeElement.textContent").startswith("Activer")

    asked = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    item.get_by_role("button", name="Supprimer la règle « Montée très rapide »").click()
    page.wait_for_timeout(200)
    assert asked and asked[0].startswith("Supprimer la règle « Montée très rapide » ?")
    assert client.get(f"/api/v1/tenants/{territory['tenant']}/alert-rules/{rule['id']}"
                      ).status_code == 200  # refused: kept
    page.once("dialog", lambda d: answer(d, True))
    item.get_by_role("button", name="Supprimer la règle « Montée très rapide »").click()
    page.locator("#done", has_text="Règle « Montée très rapide » supprimée.").wait_for()
    assert item.count() == 0
    assert client.get(f"/api/v1/tenants/{territory['tenant']}/alert-rules/{rule['id']}"
                      ).status_code == 404


@ON_PHONE
def test_a_viewer_reads_the_rules_without_editing_controls(page, server, size, territory):
    login(page, server, "elu@cc-vosges.fr", then=PAGE)
    page.locator("body[data-ready]").wait_for(state="attached")
    rules = page.locator("#rules")
    rules.get_by_role("heading", name="Crue").wait_for()
    assert rules.get_by_role("button").count() == 0
    assert page.locator("#form-section").is_hidden()
    assert page.get_by_label("Nom de la règle").is_hidden()
    assert "lecture seule" in page.locator("#read-only").inner_text()
    assert page.locator("#read-only").is_visible()
    assert page.get_by_role("link", name="Nouvelle règle").count() == 0
    assert_accessible(page)


@AT_DESK
def test_a_rule_on_one_equipment_and_a_rule_on_states(page, server, size, territory, web_db,
                                                      web_registry):
    """Editing the fixture's rule keeps its equipment; a state rule is made of the states of
    its metric, ticked by their French names."""
    client = _client(web_db, web_registry)
    crue = next(r for r in _rules(client, territory) if r["name"] == "Crue")
    login(page, server, then=PAGE)
    _item(page, crue["id"]).get_by_role("button", name="Modifier la règle « Crue »").click()
    page.get_by_role("heading", name="Modifier la règle « Crue »").wait_for()
    assert page.get_by_label("Un seul équipement").is_checked()
    # its equipment named in the search field (read by its id, no list loaded)
    equipment = page.get_by_role("combobox", name="Équipement")
    wait_for(page, "document.activeElement.id === 'form-title'")  # (the form filled)
    assert equipment.input_value() == "Échelle de la Moselle (ECH-MOSELLE)"
    assert page.get_by_label("Seuil (m)").input_value() == "2,5"
    assert page.get_by_label("Pendant au moins").input_value() == ""
    page.get_by_label("Seuil (m)").fill("2,8")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.locator("#done", has_text="Règle « Crue » modifiée.").wait_for()
    stored = client.get(f"/api/v1/tenants/{territory['tenant']}/alert-rules/{crue['id']}").json()
    assert (stored["stream_id"], stored["metric"], stored["params"]) == (
        territory["level"], None,
        {"operator": "above", "value": 2.8, "hysteresis": 0, "min_duration_s": 0})

    page.get_by_label("Nom de la règle").fill("Fuite probable")
    page.get_by_label("Mesure", exact=True).select_option(label="Alarme de bruit de fuite")
    page.get_by_label("Type de condition").select_option(label="Changement d'état")
    states = page.get_by_role("group", name="Alerte quand l'état devient")
    assert states.get_by_role("checkbox").count() == 3
    states.get_by_label("fuite probable").check()
    page.get_by_label("Commune").select_option(label="Saint-Étienne-lès-Remiremont")
    page.get_by_role("button", name="Créer la règle").click()
    page.locator("#done", has_text="Règle « Fuite probable » créée.").wait_for()
    rule = next(r for r in _rules(client, territory) if r["name"] == "Fuite probable")
    assert (rule["kind"], rule["metric"], rule["commune"], rule["params"]) == (
        "state_change", "water.leak_alarm", "88413", {"states": [2]})
    assert _facts(_item(page, rule["id"]))["Condition"] == "état : fuite probable"


def _more_gauges(web_db, web_registry, territory) -> dict[str, int]:
    """25 numbered gauges and the Vologne's, measuring the water height like the Moselle's,
    and a gauge that does not: the stream id of each that does, by ref."""
    point = {"type": "Point", "coordinates": [6.6, 48.02]}
    made = {}
    with web_db.write() as conn:
        scope = open_scope(web_db, conn, CLI, territory["tenant"])
        names = {f"ECH-{i:02d}": f"Échelle n° {i:02d} du ruisseau" for i in range(1, 26)}
        names |= {"ECH-VOLOGNE": "Échelle de la Vologne", "ECH-MUETTE": "Échelle de la Muette"}
        for ref, name in names.items():
            asset = assets.create_asset(scope, conn, web_registry, {
                "ref": ref, "kind": "risks.gauge", "name": name, "commune": "88383",
                "geometry": point})
            if ref != "ECH-MUETTE":
                made[ref] = streams.create_stream(scope, conn, web_registry, {
                    "asset_id": asset.id, "metric": "hydro.level"}).id
    return made


def _assets_lists(requests: list[str]) -> list[dict[str, list[str]]]:
    """The query of each request for a list of assets (not one asset read by its id)."""
    return [parse_qs(urlsplit(url).query) for url in requests
            if urlsplit(url).path.endswith("/assets")]


@AT_DESK
def test_the_equipment_is_searched_as_typed_and_picked_with_the_keyboard_only(
        page, server, size, territory, web_db, web_registry):
    """No list of equipment is read up front: 2 characters typed at least, the matching
    equipment that have the metric (accents and capitals ignored) in a listbox that the
    arrows go through, Entrée picks, Échap closes; the count says when there are more."""
    gauges = _more_gauges(web_db, web_registry, territory)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    login(page, server, then=PAGE)
    page.locator("body[data-ready]").wait_for(state="attached")
    page.get_by_label("Nom de la règle").fill("Crue de la Vologne")
    page.get_by_label("Mesure", exact=True).select_option(label="Hauteur d'eau (m)")
    # the keyboard alone from here: the scope's radios, then Tab to the search
    page.get_by_label("Tous ceux qui ont cette mesure").focus()
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Un seul équipement").is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "r-asset"
    box = page.get_by_role("combobox", name="Équipement")
    listbox = page.locator("#r-asset-options")
    status = page.locator("#r-asset-status")
    assert (box.get_attribute("aria-controls"), listbox.get_attribute("role")) == (
        "r-asset-options", "listbox")
    assert box.get_attribute("aria-expanded") == "false"

    page.keyboard.type("e")
    status.filter(has_text="Tapez au moins 2 caractères pour chercher.").wait_for()
    assert _assets_lists(requests) == []  # one character: no search
    page.keyboard.type("chelle")  # « echelle »: finds the « Échelle … » that have the metric
    status.filter(has_text="27 équipements trouvés : les 20 premiers sont listés").wait_for()
    assert listbox.get_by_role("option").count() == 20
    # (said under the list too, for the eyes: the status is under it)
    note = page.locator("#r-asset-options + .combobox-note")
    assert note.is_visible() and note.inner_text().startswith("27 équipements trouvés")
    assert box.get_attribute("aria-expanded") == "true"
    assert listbox.get_by_role("option", name="Échelle de la Muette").count() == 0

    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("zzz")
    status.filter(has_text="Aucun équipement ne correspond à cette recherche.").wait_for()
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"

    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("ECHELLE DE LA")
    status.filter(has_text="2 équipements trouvés.").wait_for()
    assert note.is_hidden()  # (all listed: nothing to add)
    options = listbox.get_by_role("option")
    assert options.all_inner_texts() == ["Échelle de la Moselle ECH-MOSELLE",
                                         "Échelle de la Vologne ECH-VOLOGNE"]

    def active() -> str | None:
        """The option the input points at (its text), checked to be the only one selected."""
        ref = box.get_attribute("aria-activedescendant")
        selected = listbox.locator('[aria-selected="true"]')
        if ref is None:
            assert selected.count() == 0
            return None
        assert selected.count() == 1 and selected.get_attribute("id") == ref
        return page.locator(f"#{ref}").inner_text()

    assert active() is None  # (nothing picked until the person moves)
    page.keyboard.press("ArrowDown")
    assert active().startswith("Échelle de la Moselle")
    page.keyboard.press("ArrowDown")
    assert active().startswith("Échelle de la Vologne")
    page.keyboard.press("ArrowDown")  # (round to the first)
    assert active().startswith("Échelle de la Moselle")
    page.keyboard.press("ArrowUp")
    assert active().startswith("Échelle de la Vologne")
    page.keyboard.press("Escape")  # closed, what was typed kept
    assert box.get_attribute("aria-expanded") == "false" and listbox.is_hidden()
    assert active() is None and box.input_value() == "ECHELLE DE LA"
    page.keyboard.press("ArrowDown")  # open again, on the first
    assert box.get_attribute("aria-expanded") == "true"
    assert active().startswith("Échelle de la Moselle")
    assert_accessible(page)  # (the open list audited too)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # picks, does not send the form
    assert box.input_value() == "Échelle de la Vologne (ECH-VOLOGNE)"
    assert box.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.id") == "r-asset"
    assert page.locator("#done").inner_text() == ""

    page.get_by_label("Seuil (m)").focus()
    page.keyboard.type("3,1")
    page.keyboard.press("Enter")  # (the form sent from its last field)
    page.locator("#done", has_text="Règle « Crue de la Vologne » créée.").wait_for()
    client = _client(web_db, web_registry)
    rule = next(r for r in _rules(client, territory) if r["name"] == "Crue de la Vologne")
    assert (rule["stream_id"], rule["metric"], rule["params"]["value"]) == (
        gauges["ECH-VOLOGNE"], None, 3.1)
    assert _facts(_item(page, rule["id"]))["Surveille"] == \
        "Hauteur d'eau — Échelle de la Vologne"

    # every list of assets asked was a search of 20 at most, by a term of 2 characters or more
    asked = _assets_lists(requests)
    assert asked and all(len(q["q"][0].strip()) >= 2 and q["limit"] == ["20"]
                         and q["metric"] == ["hydro.level"] for q in asked), asked
    # … and no stream list of a whole metric (only the stream of the equipment picked)
    streams_asked = [u for u in requests if "/streams?" in u]
    assert streams_asked and all("asset_id=" in u for u in streams_asked), streams_asked


@ON_PHONE
def test_typing_after_a_pick_unpicks_and_the_page_says_so(page, server, size, territory,
                                                          web_db, web_registry):
    """The text no longer names the equipment picked: nothing is sent for it, and the
    refusal beside the field says to choose in the list; a metric the equipment lacks
    unpicks it too."""
    _more_gauges(web_db, web_registry, territory)
    login(page, server, then=PAGE)
    page.locator("body[data-ready]").wait_for(state="attached")
    page.get_by_label("Nom de la règle").fill("Vologne")
    page.get_by_label("Un seul équipement").check()
    box = page.get_by_role("combobox", name="Équipement")
    box.fill("vologne")
    page.locator("#r-asset-status", has_text="Choisissez d'abord la mesure").wait_for()
    page.get_by_label("Mesure", exact=True).select_option(label="Hauteur d'eau (m)")
    box.fill("")
    box.press_sequentially("echelle")
    page.locator("#r-asset-status", has_text="27 équipements trouvés").wait_for()
    screenshot(page, "regles-alerte-equipement", size)
    box.fill("")
    box.press_sequentially("volog")
    page.get_by_role("option", name="Échelle de la Vologne ECH-VOLOGNE").click()
    assert box.input_value() == "Échelle de la Vologne (ECH-VOLOGNE)"
    page.get_by_label("Seuil (m)").fill("3")
    box.fill("Échelle de la Vologne")  # (edited: no longer the pick)
    page.get_by_role("button", name="Créer la règle").click()
    page.locator("#form-error", has_text="Règle d'alerte invalide.").wait_for()
    assert page.locator("#r-asset-error").inner_text().startswith(
        "choisissez l'équipement dans la liste")
    assert box.get_attribute("aria-invalid") == "true"
    assert "r-asset-error" in box.get_attribute("aria-describedby")

    box.fill("")
    box.press_sequentially("volog")
    page.get_by_role("option", name="Échelle de la Vologne ECH-VOLOGNE").click()
    # another metric: the gauge has no energy stream, so it is no longer picked
    page.get_by_label("Mesure", exact=True).select_option(value="energy.active_import")
    page.locator("#r-asset-status", has_text="« Échelle de la Vologne » n'a pas la mesure "
                 "choisie").wait_for()
    assert box.input_value() == ""
    assert_accessible(page)
