// Home: per-domain cards and the open alerts of the current tenant.
import {
  api, escapeHtml, formatDateTime, renderHeader, session, SEVERITY_LABELS, showError,
} from "/static/js/common.js";

const state = await session();
renderHeader("accueil", state);

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

if (!state.tenant) {
  document.getElementById("cards").innerHTML =
    '<p class="muted">Aucun territoire ne vous est encore ouvert.</p>';
} else {
  document.getElementById("title").textContent = `Tableau de bord — ${state.tenant.name}`;
  showAlerts(state.tenant).catch((error) => showError(error));
}
