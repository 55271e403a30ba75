/* Beijing time and the time left, written the same way on every page that counts down.
 *
 * The pages' own scripts keep the server's clock (the time the page carried plus the browser's
 * monotonic clock), never the browser's wall clock; this file only formats.
 */
(function () {
  "use strict";

  var BEIJING_OFFSET_MS = 8 * 3600 * 1000;

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  /* "YYYY-MM-DD HH:MM:SS" in Beijing time, whatever the browser's time zone. */
  function beijing(ms) {
    var d = new Date(ms + BEIJING_OFFSET_MS);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }

  /* "HH:MM:SS", or "N <days> HH:MM:SS"; a started second still counts, so 00:00:00 means it is over. */
  function timeLeft(ms, dayLabel) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var days = Math.floor(total / 86400);
    var rest = total % 86400;
    var text = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
    return days > 0 ? days + " " + dayLabel + " " + text : text;
  }

  window.ggzyTime = {pad: pad, beijing: beijing, timeLeft: timeLeft};
}());
