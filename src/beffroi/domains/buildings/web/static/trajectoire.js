// Panel of a building's page (core.registry.Panel): its décret tertiaire trajectory — each
// year's consumption (and climate-corrected) against the reference year and the targets
// (−40 % 2030, −50 % 2040, −60 % 2050, or the absolute values Cabs), as a chart with its
// table. GET …/buildings/{id}/trajectory (the décret's module).
import { api, errorText, escapeHtml } from "/static/js/common.js";
import {
  drawTrajectory, ensureStyles, trajectoryLegend, trajectoryOf, trajectorySummary, trajectoryTable,
} from "./figures.js";

export async function render(container, ctx) {
  ensureStyles();
  container.classList.add("trajectory-panel");
  let t;
  try {
    t = trajectoryOf(await api(`/tenants/${ctx.tenant.id}/buildings/${ctx.asset.id}/trajectory`));
  } catch (error) {
    container.innerHTML = `<p class="muted">Trajectoire indisponible : ${escapeHtml(errorText(error))}</p>`;
    container.dataset.ready = "true";
    return;
  }
  const notes = t.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("");
  container.innerHTML = `
    ${t.subject === false ? '<p class="muted">Ce bâtiment n\'est pas assujetti au décret tertiaire '
      + "(moins de 1 000 m² de surface tertiaire, seul ou avec son site) : la trajectoire est "
      + "indicative.</p>" : ""}
    <figure class="chart-figure" aria-labelledby="tr-summary">
      <div id="tr-plot" aria-hidden="true"></div>
      <ul class="legend-inline" aria-hidden="true">${trajectoryLegend(t)}</ul>
      <figcaption id="tr-summary">${escapeHtml(trajectorySummary(t))}</figcaption>
    </figure>
    ${notes ? `<ul class="muted">${notes}</ul>` : ""}
    <details><summary>Tableau de la trajectoire</summary>
      <div class="table-wrap" tabindex="0" role="region" aria-label="Tableau de la trajectoire">${
        trajectoryTable(t, "Consommation par année et objectifs du décret tertiaire")}</div></details>`;
  const names = { caption: "Trajectoire du décret tertiaire : consommation, corrigée du climat, et objectif",
    title: "Trajectoire du décret tertiaire" };
  let chart = drawTrajectory(container.querySelector("#tr-plot"), t, names);
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (!chart || Math.abs(window.innerWidth - width) < 20) return;
    width = window.innerWidth;
    chart.destroy();
    chart = drawTrajectory(container.querySelector("#tr-plot"), t, names);
  });
  container.dataset.ready = "true";
}
