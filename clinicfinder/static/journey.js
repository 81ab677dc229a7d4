// Progressive enhancement only: every step works without this file.
// "Use my location" fills the hidden latitude/longitude of the "where" form and sends it.
(function () {
  "use strict";
  var form = document.querySelector("[data-geolocation-form]");
  if (!form || !("geolocation" in navigator)) {
    return;
  }
  var wrap = form.querySelector("[data-geolocate-wrap]");
  var button = form.querySelector("[data-geolocate]");
  var status = form.querySelector("[data-geolocate-status]");
  wrap.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = button.getAttribute("data-busy");
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.querySelector("[data-latitude]").value = position.coords.latitude.toFixed(4);
        form.querySelector("[data-longitude]").value = position.coords.longitude.toFixed(4);
        form.querySelector("input[name=location]").value = "";
        form.submit();
      },
      function () {
        status.textContent = button.getAttribute("data-failed");
        button.disabled = false;
      },
      { timeout: 10000, maximumAge: 600000 }
    );
  });
})();

// After a failed submit, move focus to the summary of problems so it is read out first.
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
})();

// The results map: a pin and its card light up together, on hover and on keyboard focus.
(function () {
  "use strict";
  var pins = document.querySelectorAll(".map-pin[data-card]");
  Array.prototype.forEach.call(pins, function (pin) {
    var card = document.getElementById(pin.getAttribute("data-card"));
    if (!card) {
      return;
    }
    function on() {
      pin.classList.add("is-highlighted");
      card.classList.add("is-highlighted");
    }
    function off() {
      pin.classList.remove("is-highlighted");
      card.classList.remove("is-highlighted");
    }
    pin.addEventListener("mouseenter", on);
    pin.addEventListener("mouseleave", off);
    pin.addEventListener("focus", on);
    pin.addEventListener("blur", off);
    card.addEventListener("mouseenter", on);
    card.addEventListener("mouseleave", off);
    card.addEventListener("focusin", on);
    card.addEventListener("focusout", off);
  });
})();

// A results card's criteria: fetched from the clinic's criteria page the first time the list is
// opened, and put in place of the link to that page. Without this file, or if the fetch fails,
// the link stays and opens the page.
(function () {
  "use strict";
  var lists = document.querySelectorAll("details[data-criteria]");
  Array.prototype.forEach.call(lists, function (details) {
    var link = details.querySelector("a[href]");
    var asked = false;
    details.addEventListener("toggle", function () {
      if (!details.open || asked || !link || !window.fetch || !window.DOMParser) {
        return;
      }
      asked = true;
      fetch(link.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var list = new DOMParser().parseFromString(html, "text/html").querySelector("ul.criteria");
          if (list) {
            link.parentNode.replaceWith(document.importNode(list, true));
          }
        })
        .catch(function () {
          asked = false; // the link is still there; opening again tries again
        });
    });
  });
})();
