/* The inspector's workspace: small helpers; every page works without them. */
(function () {
  "use strict";

  // after a refused form or a chain check, move the focus to what the page says about it
  var first = document.querySelector(".insp #error-summary, .insp #chain-result");
  if (first) {
    first.focus();
  }

  // the chain check can take a while: say so on the button and do not send it twice
  var forms = document.querySelectorAll(".insp form#chain-form");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      var button = form.querySelector("button[data-busy]");
      if (!button) {
        return;
      }
      if (button.getAttribute("aria-disabled") === "true") {
        event.preventDefault();
        return;
      }
      button.setAttribute("aria-disabled", "true");
      button.textContent = button.getAttribute("data-busy");
    });
  });

  // opening a day from the index puts the focus on its heading, so that keyboard users carry on from there
  Array.prototype.forEach.call(document.querySelectorAll(".insp .day-index a[href^='#day-']"), function (link) {
    link.addEventListener("click", function () {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (target) {
        window.setTimeout(function () { target.focus(); }, 0);
      }
    });
  });
})();
