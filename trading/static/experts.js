/* Expert pages: the server clock, the time left to answer an invitation, and focus on a refusal.
 *
 * The pages work without it: the server writes the time and the time left as of the page's load.
 * All text comes from the page (translated by the server), never from this file.
 */
(function () {
  "use strict";

  var loaded = window.performance ? performance.now() : 0;

  var pad = window.ggzyTime.pad;
  var beijing = window.ggzyTime.beijing;

  /* Elapsed time comes from the monotonic performance clock, so a wrong browser clock cannot move it. */
  function elapsed() {
    return window.performance ? performance.now() - loaded : 0;
  }

  function left(ms, dayLabel) {
    return window.ggzyTime.timeLeft(ms, dayLabel);
  }

  function tickers() {
    var items = [];
    document.querySelectorAll("[data-server-clock]").forEach(function (box) {
      var serverNow = Number(box.getAttribute("data-server-now"));
      var clock = box.querySelector(".server-clock");
      if (isFinite(serverNow) && clock) {
        items.push(function () {
          clock.textContent = beijing(serverNow + elapsed());
        });
      }
    });
    document.querySelectorAll("[data-countdown-to]").forEach(function (span) {
      var serverNow = Number(span.getAttribute("data-server-now"));
      var target = Number(span.getAttribute("data-countdown-to"));
      var dayLabel = span.getAttribute("data-label-days") || "d";
      var passed = span.getAttribute("data-passed") || "";
      if (!isFinite(serverNow) || !isFinite(target)) {
        return;
      }
      items.push(function () {
        var remaining = target - (serverNow + elapsed());
        if (remaining <= 0) {
          span.textContent = passed;
          span.classList.add("passed");
          span.classList.remove("soon");
        } else {
          span.textContent = left(remaining, dayLabel);
          span.classList.toggle("soon", remaining < 5 * 60 * 1000);
        }
      });
    });
    return items;
  }

  function startClocks() {
    var items = tickers();
    if (!items.length) {
      return;
    }
    function tick() {
      items.forEach(function (item) {
        item();
      });
      window.setTimeout(tick, 1000 - (elapsed() % 1000));
    }
    tick();
  }

  /* After a refused form, bring its message into view for keyboard and screen-reader users. */
  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  function init() {
    startClocks();
    focusErrors();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
