// The API documentation page: Swagger UI (served by Beffroi, no CDN) on the OpenAPI
// document named by the page; a script file of its own, as the CSP allows no inline script.
/* global SwaggerUIBundle */
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapi,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis],
});
