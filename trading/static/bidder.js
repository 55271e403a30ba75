/* Bidder pages: the server clock and countdown, and the unlock-secret confirmation check. */
(function () {
  "use strict";


  var pad = window.ggzyTime.pad;
  var beijing = window.ggzyTime.beijing;

  function left(ms, dayLabel) {
    return window.ggzyTime.timeLeft(ms, dayLabel);
  }

  /* The server's "now" is in the page; elapsed time comes from the monotonic performance clock,
     so a wrong or changed browser clock cannot move the countdown. */
  function startClock(box) {
    var serverNow = Number(box.getAttribute("data-server-now"));
    var target = box.hasAttribute("data-target") ? Number(box.getAttribute("data-target")) : null;
    var dayLabel = box.getAttribute("data-label-days") || "d";
    var passed = box.getAttribute("data-passed") || "";
    var clock = box.querySelector(".server-clock");
    var value = box.querySelector(".countdown-value");
    var loaded = performance.now();
    if (!isFinite(serverNow)) {
      return;
    }
    function tick() {
      var now = serverNow + (performance.now() - loaded);
      if (clock) {
        clock.textContent = beijing(now);
      }
      if (value && target !== null) {
        var remaining = target - now;
        if (remaining <= 0) {
          value.textContent = passed;
          box.classList.add("passed");
          if (!clock) {
            return;
          }
        } else {
          value.textContent = left(remaining, dayLabel);
          box.classList.toggle("soon", remaining < 3600 * 1000);
        }
      }
      window.setTimeout(tick, 1000 - ((performance.now() - loaded) % 1000));
    }
    tick();
  }

  /* The two unlock secrets must match before a (possibly large) upload starts. */
  function checkSecrets(form) {
    var first = form.querySelector("input[name=unlock_secret]");
    var second = form.querySelector("input[name=unlock_secret_confirm]");
    if (!first || !second) {
      return;
    }
    function check() {
      second.setCustomValidity(second.value && first.value !== second.value ?
        (second.getAttribute("data-mismatch") || "") : "");
    }
    first.addEventListener("input", check);
    second.addEventListener("input", check);
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-countdown]"), startClock);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm-secret]"), checkSecrets);
    /* after a refused form, bring its message into view for keyboard and screen-reader users */
    var refusal = document.querySelector(".refusal[role=alert]");
    if (refusal) {
      refusal.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
