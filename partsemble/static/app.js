// Partsemble's only script beside htmx. No inline scripts anywhere (CSP).
(function () {
  "use strict";
  // Plain forms that destroy something ask first: data-confirm="...".
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);

  // Filter forms submit when a select changes: data-autosubmit on the form.
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-autosubmit") && event.target.tagName === "SELECT") { form.requestSubmit(); }
  });

  // While Sync Now runs, poll its progress (the POST itself answers when the sync is done).
  var poller = null;
  function stopPolling() {
    if (poller) { window.clearInterval(poller); poller = null; }
    var box = document.getElementById("sync-progress");
    if (box) { box.hidden = true; box.innerHTML = ""; }
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "sync-form") { return; }
    var box = document.getElementById("sync-progress");
    var url = form.getAttribute("data-progress-url");
    if (!box || !url || poller) { return; }
    box.hidden = false;
    var tick = function () { window.htmx.ajax("GET", url, { target: "#sync-progress", swap: "innerHTML" }); };
    tick();
    poller = window.setInterval(tick, 1000);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "sync-form") { stopPolling(); }
  });

  // "+ Add a line" on the manual sale form asks for the next row index each time.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "add-line") { event.detail.parameters.index = elt.getAttribute("data-next-index"); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "add-line" && event.detail.successful) {
      elt.setAttribute("data-next-index", String(parseInt(elt.getAttribute("data-next-index"), 10) + 1));
    }
  });
})();
