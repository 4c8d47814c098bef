// Home: per-domain cards and the open alerts of the current tenant.
import {
  api, chooseTenant, escapeHtml, formatDate, formatDateTime, formatNumber, renderHeader,
  session, SEVERITY_LABELS, showError,
} from "/static/js/common.js";

const state = await session();
renderHeader("accueil", state);

/** Invitations to tenants waiting for the person's answer (accept opens the tenant). */
async function showInvitations() {
  const invitations = await api("/me/invitations");
  const box = document.getElementById("invitations-box");
  box.hidden = !invitations.length;
  document.getElementById("invitations").innerHTML = invitations.map((i) => {
    const where = i.communes ? ` — communes : ${i.communes.map((c) => escapeHtml(c.name)).join(", ")}` : "";
    return `<li class="notice info">
      <p><strong>${escapeHtml(i.tenant_name)}</strong> vous invite comme
        ${escapeHtml(i.role_label)}${where}. <span class="muted">Valable jusqu'au
        ${formatDate(i.expires_at)}.</span></p>
      <button type="button" class="button" data-accept="${i.id}" data-tenant="${i.tenant_id}"
        data-name="${escapeHtml(i.tenant_name)}">Accepter<span class="visually-hidden">
        l'invitation de ${escapeHtml(i.tenant_name)}</span></button>
      <button type="button" class="button secondary" data-decline="${i.id}"
        data-name="${escapeHtml(i.tenant_name)}">Refuser<span class="visually-hidden">
        l'invitation de ${escapeHtml(i.tenant_name)}</span></button></li>`;
  }).join("");
  for (const button of box.querySelectorAll("button[data-accept]")) {
    button.addEventListener("click", async () => {
      try {
        await api(`/me/invitations/${button.dataset.accept}/accept`, { method: "POST" });
        chooseTenant(button.dataset.tenant);  // reloads the page on the new tenant
      } catch (error) {
        showError(error);
      }
    });
  }
  for (const button of box.querySelectorAll("button[data-decline]")) {
    button.addEventListener("click", async () => {
      try {
        await api(`/me/invitations/${button.dataset.decline}/decline`, { method: "POST" });
        await showInvitations();
        document.getElementById("invitations-status").textContent =
          `Invitation de ${button.dataset.name} refusée.`;
      } catch (error) {
        showError(error);
      }
    });
  }
}

showInvitations().catch((error) => showError(error));

async function showAlerts(tenant) {
  const box = document.getElementById("alerts");
  const alerts = await api(`/tenants/${tenant.id}/alerts`, { params: { status: "active", limit: 20 } });
  if (!alerts.length) {
    box.innerHTML = '<p class="muted">Aucune alerte en cours.</p>';
    return;
  }
  box.innerHTML = `<ul class="alert-list">${alerts.map((a) => `
    <li><span class="badge ${a.severity}">${SEVERITY_LABELS[a.severity]}</span>
      <a href="/alertes?alerte=${a.id}">${escapeHtml(a.title)}</a>
      <span class="muted">— ${escapeHtml(a.status_label)}, depuis le ${formatDateTime(a.opened_at)}</span></li>`,
  ).join("")}</ul>
  <p><a href="/alertes">Toutes les alertes</a></p>`;
}

const plural = (n, one, many) => `${formatNumber(n, 0)} ${n > 1 ? many : one}`;

async function showCards(tenant) {
  const cards = await api(`/tenants/${tenant.id}/dashboard`);
  const box = document.getElementById("cards");
  if (!cards.length) {
    box.innerHTML = '<p class="muted">Aucun équipement n\'est encore inventorié.</p>';
    return;
  }
  box.innerHTML = cards.map((card) => {
    const alerts = ["critical", "warning", "info"].filter((s) => card.alerts[s]).map((s) =>
      `<span class="badge ${s}">${card.alerts[s]} ${SEVERITY_LABELS[s].toLowerCase()}</span>`,
    ).join(" ") || '<span class="badge ok">aucune alerte</span>';
    const kinds = card.kinds.slice(0, 4).map((k) =>
      `<li>${escapeHtml(k.label)} : ${formatNumber(k.count, 0)}</li>`).join("");
    const kpis = card.kpis.map((k) =>
      `<li>${escapeHtml(k.label)} : <strong>${k.value === null ? "indisponible"
        : `${formatNumber(k.value)} ${escapeHtml(k.unit)}`}</strong></li>`).join("");
    return `<article class="card" aria-labelledby="card-${card.domain}">
      <h3 id="card-${card.domain}">${escapeHtml(card.label)}</h3>
      <p><strong>${plural(card.assets, "équipement", "équipements")}</strong></p>
      <p>${alerts}</p>
      ${card.silent_devices ? `<p>${plural(card.silent_devices, "capteur silencieux",
        "capteurs silencieux")}</p>` : ""}
      ${kpis ? `<ul class="kpis">${kpis}</ul>` : ""}
      <ul class="muted">${kinds}</ul>
      <p><a href="/carte?domaine=${card.domain}">Voir sur la carte</a></p>
    </article>`;
  }).join("");
}

if (!state.tenant) {
  document.getElementById("cards").innerHTML =
    '<p class="muted">Aucun territoire ne vous est encore ouvert.</p>';
} else {
  document.getElementById("title").textContent = `Tableau de bord — ${state.tenant.name}`;
  showCards(state.tenant).catch((error) => showError(error));
  showAlerts(state.tenant).catch((error) => showError(error));
}
