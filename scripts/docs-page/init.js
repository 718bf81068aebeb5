// Renders the API reference from the Worker's own /openapi.json; nothing is loaded from another origin.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  // No badge from the public validator service: the page must work offline.
  validatorUrl: null,
  persistAuthorization: false,
  tryItOutEnabled: false,
});
