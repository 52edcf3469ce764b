// Partsemble's only script beside htmx. No inline scripts anywhere (CSP).
(function () {
  "use strict";
  // Plain forms and links that destroy something ask first: data-confirm="...".
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  }, true);
  // Auto-submit filter selects without a script per page: data-autosubmit on the form.
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-autosubmit") && event.target.tagName === "SELECT") { form.requestSubmit(); }
  });
})();
