// Progressive enhancement: the progress page updates itself; without this file a link refreshes it.
(function () {
  "use strict";
  var list = document.querySelector("[data-report-progress]");
  if (!list || !window.fetch) {
    return;
  }
  var message = document.querySelector("[data-report-message]");
  var order = ["awaiting_confirmation", "queued", "making", "sent"];
  var finished = ["sent", "failed", "expired", "gone"];

  function show(stage, text) {
    var reached = order.indexOf(stage === "delayed" ? "queued" : stage); // delayed: still queued, retrying
    list.querySelectorAll("[data-step]").forEach(function (item, index) {
      item.classList.toggle("report-step--done", stage === "sent" || (reached > index));
      item.classList.toggle("report-step--current", stage !== "sent" && reached === index);
    });
    if (message.textContent !== text) {
      message.textContent = text; // a polite live region: read out only when it changes
    }
    message.classList.toggle("report-status--bad", ["failed", "expired", "gone", "delayed"].indexOf(stage) !== -1);
  }

  function poll() {
    fetch(list.getAttribute("data-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 5000); return; } // a hiccup (restart, 503): ask again later
        show(data.stage, data.message);
        if (finished.indexOf(data.stage) === -1) { window.setTimeout(poll, 2000); }
        else if (data.stage === "failed" || data.stage === "expired") { window.location.reload(); } // shows the download
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  if (finished.indexOf(list.getAttribute("data-stage")) === -1) {
    window.setTimeout(poll, 2000);
  }
})();
