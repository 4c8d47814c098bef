"""The administration page's on-call roster (« Astreinte ») and send log (« Envois »), in
Chromium: weeks of the territory's calendar from a pinned browser clock, saved and cleared
through the API, its refusals next to the fields, weeks without anyone flagged; the log of
notifications the tests queue themselves, its French states, filter and older pages."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from sqlalchemy import select, update

from beffroi.core.access import CLI, open_scope
from beffroi.notifications import oncall
from beffroi.notifications.outbox import queue
from beffroi.storage import schema

from .conftest import AT_DESK, ON_PHONE, assert_accessible, login, screenshot

ADMIN = "admin@cc-vosges.fr"
# The browser's clock, pinned: Sunday 22 March 2026, 23:30 UTC, is already Monday 23 March
# (00:30) in the territory (Europe/Paris): the roster starts with the week of the 23rd,
# ISO week 13, not with the UTC week of the 16th; the clocks change on the 29th.
BROWSER_NOW = datetime(2026, 3, 22, 23, 30, tzinfo=UTC)
CURRENT_WEEK = "2026-03-23"
NEXT_WEEK = "2026-03-30"


def _ids(db) -> dict[str, int]:
    u = schema.users
    with db.read() as conn:
        return {r.email.split("@")[0]: r.id for r in conn.execute(select(u.c.id, u.c.email))}


def _set_week(db, territory, week_start: str, primary: int, secondary: int | None) -> None:
    with db.write() as conn:
        oncall.set_week(open_scope(db, conn, CLI, territory["tenant"]), conn, week_start,
                        {"primary_user_id": primary, "secondary_user_id": secondary})


def _settings(db, territory, **changes) -> None:
    t = schema.tenants
    with db.write() as conn:
        stored = orjson.loads(conn.execute(select(t.c.settings).where(
            t.c.id == territory["tenant"])).scalar_one())
        conn.execute(update(t).where(t.c.id == territory["tenant"]).values(
            settings=orjson.dumps({**stored, **changes}).decode()))


def _member(db, territory, user_id: int, **values) -> None:
    m = schema.memberships
    with db.write() as conn:
        conn.execute(update(m).where(m.c.tenant_id == territory["tenant"],
                                     m.c.user_id == user_id).values(**values))


def _rota(page, server, territory) -> list[dict]:
    """The roster as the API gives it to the signed-in admin: every week of 2026."""
    answer = page.request.get(f"{server.url}/api/v1/tenants/{territory['tenant']}/oncall",
                              params={"from": "2026-01-01", "limit": "104"})
    assert answer.ok, answer.text()
    return [{"week_start": w["week_start"], "primary": w["primary"] and w["primary"]["id"],
             "secondary": w["secondary"] and w["secondary"]["id"]} for w in answer.json()]


def _open(page, server) -> None:
    page.clock.set_fixed_time(BROWSER_NOW)
    login(page, server, email=ADMIN, then="/administration")
    page.locator("#oncall table").wait_for()


def _row(page, week_start: str):
    return page.locator(f'#oncall tr[data-week="{week_start}"]')


def _instant(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def _queue_log(db, territory, count: int) -> list[int]:
    """``count`` notifications a minute apart from 15 March 2026, 10:00 UTC: by thirds
    failed (SMTP missing), sent, pending; every fifth a webhook."""
    n = schema.notifications
    ids = []
    with db.write() as conn:
        for i in range(count):
            at = _instant("2026-03-15T10:00:00+00:00") + i * 60_000
            webhook = i % 5 == 0
            ids.append(queue(db, conn, territory["tenant"],
                             channel="webhook" if webhook else "email",
                             target="https://hooks.example.fr/beffroi" if webhook
                             else f"agent{i:02d}@cc-vosges.fr",
                             kind="alert", subject=f"Envoi n° {i:02d}", body="…", now=at,
                             alert_id=territory["alert"]))
            values = ({"status": "failed", "attempts": 4, "next_attempt_at": None,
                       "error": "SMTP non configuré (BEFFROI_SMTP_URL)"} if i % 3 == 0
                      else {"status": "sent", "attempts": 1, "next_attempt_at": None,
                            "sent_at": at + 5_000} if i % 3 == 1
                      else {})
            if values:
                conn.execute(update(n).where(n.c.tenant_id == territory["tenant"],
                                             n.c.id == ids[-1]).values(**values))
    return ids


def _log_rows(page) -> list[str]:
    return [r.inner_text() for r in page.locator("#sendlog tbody tr").all()]


# -- display: both sizes ----------------------------------------------------------------------
def test_roster_and_send_log_show_weeks_people_risks_and_states(page, server, web_db,
                                                               territory, size):
    ids = _ids(web_db)
    _settings(web_db, territory, working_hours={"days": [1, 2, 3, 4], "start": "07:30",
                                                "end": "17:00"}, escalation_delay_min=45)
    _set_week(web_db, territory, CURRENT_WEEK, ids["agent"], ids["admin"])
    _set_week(web_db, territory, "2026-04-06", ids["admin"], None)
    _queue_log(web_db, territory, 3)
    _open(page, server)
    toc = page.get_by_role("navigation", name="Sections de l'administration")
    for name in ("Astreinte", "Envois"):
        assert toc.get_by_role("link", name=name).is_visible()
        assert page.get_by_role("heading", name=name, exact=True).is_visible()
    assert page.locator("#oncall-rules").inner_text() == (
        "En dehors des heures ouvrées (du lundi au jeudi, de 7 h 30 à 17 h, heure de Paris), "
        "une alerte critique est envoyée par courriel à la personne d'astreinte de la semaine, "
        "puis à son suppléant si elle ne l'a pas prise en compte au bout de 45 minutes.")

    rows = page.locator("#oncall tbody tr")
    assert rows.count() == 12
    weeks = [r.get_attribute("data-week") for r in rows.all()]
    assert weeks[0] == CURRENT_WEEK and weeks[-1] == "2026-06-08"
    assert weeks[1] == NEXT_WEEK  # (across the change to summer time)
    current = _row(page, CURRENT_WEEK).get_by_role("rowheader")
    assert current.inner_text().split("\n")[:2] == ["Semaine 13 en cours", "du 23 au 29 mars 2026"]
    assert _row(page, NEXT_WEEK).get_by_role("rowheader").inner_text().startswith(
        "Semaine 14\ndu 30 mars au 5 avril 2026")
    primary = page.get_by_label("Personne d'astreinte, semaine du 23 mars 2026")
    secondary = page.get_by_label("Suppléant, semaine du 23 mars 2026")
    assert primary.input_value() == str(ids["agent"])
    assert secondary.input_value() == str(ids["admin"])
    assert page.get_by_label("Suppléant, semaine du 6 avril 2026").input_value() == ""
    # Only who may be on call is offered: the viewer is not.
    assert primary.locator("option").all_inner_texts() == [
        "— À désigner —", "Adrien Admin", "Agnès Agent"]

    # The ten weeks without anyone are flagged in words, the two others not.
    flagged = [r.get_attribute("data-week") for r in rows.all()
               if "Personne d'astreinte manquante" in r.inner_text()]
    assert flagged == [w for w in weeks if w not in (CURRENT_WEEK, "2026-04-06")]
    assert _row(page, NEXT_WEEK).get_attribute("class") == "uncovered"
    assert "10 semaines sur 12 sans personne d'astreinte valable" in page.locator(
        "#oncall-summary").inner_text()

    log = _log_rows(page)
    assert len(log) == 3
    assert log[0].split("\t")[:5] == [
        "15 mars 2026, 11:02", "Courriel", "agent02@cc-vosges.fr",
        f"Envoi n° 02\nAlerte — alerte n° {territory['alert']}", "En attente"]
    assert log[1].split("\t")[4].startswith("Envoyé\nle 15 mars 2026, 11:01")
    assert log[2].split("\t")[1:3] == ["Webhook", "https://hooks.example.fr/beffroi"]
    assert log[2].split("\t")[4:] == ["✕ Échec", "4", "SMTP non configuré (BEFFROI_SMTP_URL)"]
    assert page.locator("#sendlog-status").inner_text() == "3 envois affichés."
    assert page.locator("#sendlog-more").is_hidden()
    assert_accessible(page)
    page.get_by_role("heading", name="Astreinte", exact=True).scroll_into_view_if_needed()
    screenshot(page, "administration-astreinte", size)


# -- behaviours: once, at the desk of the administration -------------------------------------
@AT_DESK
def test_admin_sets_a_week_with_the_form(page, server, web_db, territory, size):
    ids = _ids(web_db)
    _open(page, server)
    assert _rota(page, server, territory) == []
    page.get_by_label("Personne d'astreinte, semaine du 30 mars 2026").select_option(
        label="Agnès Agent")
    page.get_by_label("Suppléant, semaine du 30 mars 2026").select_option(label="Adrien Admin")
    save = page.get_by_role("button", name="Enregistrer la semaine du 30 mars 2026")
    save.focus()
    page.keyboard.press("Enter")
    status = page.locator("#oncall-status")
    status.filter(has_text="enregistrée").wait_for()
    assert status.inner_text() == ("Semaine du 30 mars 2026 enregistrée : Agnès Agent "
                                   "d'astreinte, Adrien Admin suppléant(e).")
    assert _rota(page, server, territory) == [
        {"week_start": NEXT_WEEK, "primary": ids["agent"], "secondary": ids["admin"]}]
    assert "Personne d'astreinte manquante" not in _row(page, NEXT_WEEK).inner_text()
    assert page.evaluate("document.activeElement.dataset.save") == NEXT_WEEK
    assert "11 semaines sur 12" in page.locator("#oncall-summary").inner_text()

    # Kept after a reload, with a « Vider » button now; the other weeks untouched.
    page.reload()
    page.locator("#oncall table").wait_for()
    assert page.get_by_label("Personne d'astreinte, semaine du 30 mars 2026").input_value() == \
        str(ids["agent"])
    assert page.get_by_role("button", name="Vider la semaine du 30 mars 2026").is_visible()
    assert page.get_by_role("button", name="Vider la semaine du 23 mars 2026").count() == 0


@AT_DESK
def test_the_api_refusals_are_shown_next_to_their_field(page, server, web_db, territory, size):
    ids = _ids(web_db)
    _open(page, server)
    primary = page.get_by_label("Personne d'astreinte, semaine du 30 mars 2026")
    secondary = page.get_by_label("Suppléant, semaine du 30 mars 2026")
    save = page.get_by_role("button", name="Enregistrer la semaine du 30 mars 2026")
    errors = page.locator("#oncall-errors")

    # A secondary without anyone on call.
    secondary.select_option(label="Adrien Admin")
    save.click()
    errors.wait_for()
    message = page.locator(f"#oncall-{NEXT_WEEK}-primary-error")
    assert message.inner_text() == "obligatoire"
    assert primary.get_attribute("aria-invalid") == "true"
    assert primary.get_attribute("aria-describedby") == f"oncall-{NEXT_WEEK}-primary-error"
    assert page.evaluate("document.activeElement.id") == f"oncall-{NEXT_WEEK}-primary"
    assert errors.inner_text().split() == (
        "Semaine du 30 mars 2026 : Semaine d'astreinte invalide. "
        "Personne d'astreinte : obligatoire").split()
    assert_accessible(page)

    # The same person twice.
    primary.select_option(label="Adrien Admin")
    save.click()
    page.locator(f"#oncall-{NEXT_WEEK}-secondary-error").filter(has_text="autre personne").wait_for()
    assert page.locator(f"#oncall-{NEXT_WEEK}-secondary-error").inner_text() == (
        "le suppléant doit être une autre personne que le titulaire")
    assert message.inner_text() == "" and primary.get_attribute("aria-invalid") is None
    assert secondary.get_attribute("aria-invalid") == "true"

    # Agnès made a viewer behind the page's back (another admin): the API says why.
    _member(web_db, territory, ids["agent"], role="viewer")
    primary.select_option(label="Agnès Agent")
    save.click()
    message.filter(has_text="rôle agent").wait_for()
    assert message.inner_text() == (
        "un membre d'astreinte doit pouvoir prendre les alertes en compte (rôle agent ou "
        "administrateur du territoire)")
    assert page.locator(f"#oncall-{NEXT_WEEK}-secondary-error").inner_text() == ""
    assert _rota(page, server, territory) == []

    # Put right: the errors go.
    secondary.select_option("")
    primary.select_option(label="Adrien Admin")
    save.click()
    page.locator("#oncall-status").filter(has_text="sans suppléant").wait_for()
    assert errors.is_hidden() and message.inner_text() == ""
    assert _rota(page, server, territory) == [
        {"week_start": NEXT_WEEK, "primary": ids["admin"], "secondary": None}]


@AT_DESK
def test_admin_clears_a_week_after_confirming(page, server, web_db, territory, size):
    ids = _ids(web_db)
    _set_week(web_db, territory, NEXT_WEEK, ids["agent"], ids["admin"])
    _set_week(web_db, territory, "2026-04-06", ids["admin"], None)
    _open(page, server)
    clear = page.get_by_role("button", name="Vider la semaine du 30 mars 2026")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    clear.click()
    page.evaluate("() => new Promise((done) => setTimeout(done, 200))")  # (no late DELETE)
    assert asked and asked[0].startswith("Vider l'astreinte de la semaine du 30 mars 2026 ?")
    assert len(_rota(page, server, territory)) == 2

    page.once("dialog", lambda dialog: dialog.accept())
    clear.click()
    page.locator("#oncall-status").filter(has_text="vidée").wait_for()
    assert page.locator("#oncall-status").inner_text() == (
        "Semaine du 30 mars 2026 vidée : plus personne d'astreinte.")
    assert _rota(page, server, territory) == [
        {"week_start": "2026-04-06", "primary": ids["admin"], "secondary": None}]
    assert "Personne d'astreinte manquante" in _row(page, NEXT_WEEK).inner_text()
    assert page.get_by_label("Personne d'astreinte, semaine du 30 mars 2026").input_value() == ""
    assert page.evaluate("document.activeElement.id") == f"oncall-{NEXT_WEEK}-primary"
    assert page.get_by_role("button", name="Vider la semaine du 30 mars 2026").count() == 0


@AT_DESK
def test_a_person_who_may_no_longer_be_on_call_is_flagged(page, server, web_db, territory,
                                                          size):
    """The rota is older than a role change: the week is flagged as soon as the members
    section changes the role, and the person stays shown, said no longer allowed."""
    ids = _ids(web_db)
    _set_week(web_db, territory, NEXT_WEEK, ids["agent"], None)
    _open(page, server)
    assert "Personne d'astreinte" not in _row(page, NEXT_WEEK).get_by_role("rowheader").inner_text()
    page.get_by_label("Rôle de Agnès Agent").select_option("viewer")
    page.locator("#members-status").filter(has_text="Rôle de Agnès Agent").wait_for()
    header = _row(page, NEXT_WEEK).get_by_role("rowheader")
    header.filter(has_text="à remplacer").wait_for()
    assert "Personne d'astreinte à remplacer : Agnès Agent ne peut plus être d'astreinte" in \
        header.inner_text()
    primary = page.get_by_label("Personne d'astreinte, semaine du 30 mars 2026")
    assert primary.input_value() == str(ids["agent"])
    assert "Agnès Agent (ne peut plus être d'astreinte)" in " ".join(
        primary.locator("option:checked").inner_text().split())
    # She is no longer offered for the other weeks.
    assert page.get_by_label("Personne d'astreinte, semaine du 6 avril 2026").locator(
        "option").all_inner_texts() == ["— À désigner —", "Adrien Admin"]


@ON_PHONE
def test_a_viewer_cannot_see_or_change_the_roster(page, server, web_db, territory, size):
    ids = _ids(web_db)
    _set_week(web_db, territory, CURRENT_WEEK, ids["agent"], None)
    page.clock.set_fixed_time(BROWSER_NOW)
    login(page, server, email="elu@cc-vosges.fr", then="/administration")
    page.get_by_role("alert").filter(has_text="réservée aux administrateurs").wait_for()
    assert page.locator("#oncall-title").is_hidden() and page.locator("#sendlog").is_hidden()
    assert page.locator("#oncall select, #sendlog table").count() == 0
    assert page.get_by_role("button", name="Enregistrer").count() == 0


@AT_DESK
def test_send_log_filters_failed_ones_and_pages_with_before_id(page, server, web_db,
                                                               territory, size):
    # A territory of La Réunion (UTC+4, no summer time): dates at its time, not Paris's.
    _settings(web_db, territory, timezone="Indian/Reunion")
    ids = _queue_log(web_db, territory, 30)
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/notifications" in r.url else None)
    _open(page, server)
    log = page.locator("#sendlog")
    log.locator("tbody tr").first.wait_for()
    rows = _log_rows(page)
    assert len(rows) == 25
    assert [r.split("\t")[3].split("\n")[0] for r in rows] == [
        f"Envoi n° {i:02d}" for i in range(29, 4, -1)]
    assert rows[0].split("\t")[0] == "15 mars 2026, 14:29"
    assert "heure locale, Indian/Reunion" in log.locator("caption").inner_text()
    states = {r.split("\t")[3].split("\n")[0]: r.split("\t")[4].split("\n")[0] for r in rows}
    assert states["Envoi n° 27"] == "✕ Échec"
    assert states["Envoi n° 28"] == "Envoyé" and states["Envoi n° 29"] == "En attente"
    assert page.locator("#sendlog-status").inner_text() == (
        "25 envois affichés ; d'autres, plus anciens, restent à afficher.")

    more = page.get_by_role("button", name="Plus anciens")
    more.click()
    page.locator("#sendlog tbody tr").nth(29).wait_for()
    rows = _log_rows(page)
    assert [r.split("\t")[3].split("\n")[0] for r in rows[25:]] == [
        f"Envoi n° {i:02d}" for i in range(4, -1, -1)]
    assert more.is_hidden()
    assert page.evaluate("document.activeElement.id") == "sendlog"
    assert page.locator("#sendlog-status").inner_text() == (
        "5 envois plus anciens ajoutés ; 30 envois affichés.")
    assert any(f"before_id={ids[5]}" in url for url in requests), requests

    page.get_by_label("État des envois").select_option(label="En échec")
    page.get_by_role("button", name="Afficher").click()
    page.locator("#sendlog-status").filter(has_text="en échec").wait_for()
    rows = _log_rows(page)
    assert [r.split("\t")[3].split("\n")[0] for r in rows] == [
        f"Envoi n° {i:02d}" for i in range(27, -1, -3)]
    assert all(r.split("\t")[4] == "✕ Échec" for r in rows)
    assert all(row.get_attribute("data-status") == "failed"
               for row in page.locator("#sendlog tbody tr").all())
    assert page.locator("#sendlog-status").inner_text() == "10 envois en échec affichés."
    assert more.is_hidden()
    assert_accessible(page)

    page.get_by_label("État des envois").select_option(label="En attente")
    page.get_by_role("button", name="Afficher").click()
    page.locator("#sendlog-status").filter(has_text="en attente").wait_for()
    assert {r.split("\t")[4] for r in _log_rows(page)} == {"En attente"}
    assert len(_log_rows(page)) == 10


@AT_DESK
def test_working_days_are_said_in_french(page, server, size):
    page.goto(f"{server.url}/connexion")
    cases = [([1, 2, 3, 4, 5], "du lundi au vendredi"), ([1, 2, 3, 4, 5, 6, 7], "tous les jours"),
             ([1, 3, 5], "le lundi, le mercredi et le vendredi"),
             ([6, 7], "le samedi et le dimanche"),
             ([1, 2, 3, 5, 6], "du lundi au mercredi, le vendredi et le samedi")]
    said = page.evaluate("async (cases) => { const m = await import('/static/js/oncall.js');"
                         " return cases.map((days) => m.daysText(days)); }",
                         [days for days, _ in cases])
    assert said == [text for _, text in cases]
