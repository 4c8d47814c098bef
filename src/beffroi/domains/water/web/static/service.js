// Panel of a water service on the asset page (core.registry.Panel): the yearly figures
// form (RPQS volumes) and a link to the dashboard's indicators.
import { yearForm } from "/static/domains/water/form.js";

export async function render(container, ctx) {
  container.classList.add("water-panel");
  container.innerHTML = `<p class="muted">Volumes de l'année relevés dans la facturation, les
    compteurs de production et la déclaration de prélèvement ; ils donnent le rendement, l'ILP et
    le verdict du décret 2012-97 du <a href="/eau">tableau de bord de l'eau potable</a>.</p>
    <div class="ws-form"></div>`;
  const year = new URLSearchParams(location.search).get("annee");
  await yearForm(container.querySelector(".ws-form"), {
    tenant: ctx.tenant, serviceId: ctx.asset.id, canWrite: ctx.canWrite, year, prefix: "wsv" });
  container.dataset.ready = "";
}
