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
