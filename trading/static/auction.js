/* The auction room: polls the API every second, keeps the countdown on the server's clock, sends bids as JSON.
   Money is handled as whole cents in BigInt, never as a float; time is the server's, carried forward by the
   monotonic performance.now(), never the browser's wall clock. */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var HIDDEN_POLL_MS = 5000;
  var REQUEST_TIMEOUT_MS = 8000;
  var MAX_ROWS = 500;

  var root = document.getElementById("ar");
  if (!root || typeof window.fetch !== "function" || typeof window.BigInt !== "function") {
    return; /* the page works as plain forms and reloads */
  }

  function $(id) {
    return document.getElementById(id);
  }

  function data(name) {
    return root.getAttribute("data-" + name) || "";
  }

  /* --- words ------------------------------------------------------------------------------ */

  var texts = {};
  Array.prototype.forEach.call(document.querySelectorAll("#ar-texts li[data-key]"), function (li) {
    texts[li.getAttribute("data-key")] = li.textContent;
  });

  function say(key, values) {
    var text = texts[key] || "";
    return text.replace(/\{([a-z_]+)\}/g, function (whole, name) {
      return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : whole;
    });
  }

  /* --- money: decimal strings <-> BigInt cents ------------------------------------------------ */

  function cents(text) {
    var match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(text || ""));
    if (!match) {
      return null;
    }
    return BigInt(match[1]) * 100n + BigInt(((match[2] || "") + "00").slice(0, 2));
  }

  function decimal(value) {
    var whole = value / 100n;
    var part = value % 100n;
    return whole.toString() + "." + (part < 10n ? "0" : "") + part.toString();
  }

  function grouped(text) {
    if (text === null || text === undefined || text === "") {
      return "\u2014";
    }
    var parts = String(text).split(".");
    return parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + ((parts[1] || "") + "00").slice(0, 2);
  }

  /* --- the server's clock --------------------------------------------------------------------- */

  /* RFC 3339 with an offset -> milliseconds since the epoch, without Date.parse's leniencies */
  function instantMs(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text || "");
    if (!m) {
      return null;
    }
    var ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +((m[7] || "") + "000").slice(0, 3));
    if (m[8] !== "Z") {
      ms -= (m[9] === "-" ? -1 : 1) * ((+m[10]) * 60 + (+m[11])) * 60000;
    }
    return ms;
  }

  var offset = null; /* server ms = performance.now() + offset */

  function sync(serverTime, sentAt, receivedAt) {
    var server = instantMs(serverTime);
    if (server === null) {
      return;
    }
    /* the server read its clock somewhere in the round trip: take the middle */
    offset = server - (sentAt + receivedAt) / 2;
  }

  function serverNow() {
    return offset === null ? null : performance.now() + offset;
  }

  var pad = window.ggzyTime.pad;
  var beijing = window.ggzyTime.beijing;

  function left(ms) {
    return window.ggzyTime.timeLeft(ms, say("days"));
  }

  /* --- state ---------------------------------------------------------------------------------- */

  var state = {
    phase: data("phase"),
    result: data("result") || null,
    current: data("current") || null,
    leader: data("leader") || null,
    leading: data("leading") === "true",
    myPaddle: data("my-paddle") || null,
    endsAt: data("ends-at") || null,
    bids: Number(data("bids")) || 0,
    increment: data("increment") || null,
    startPrice: data("start-price") || null,
    terminated: data("terminated") === "true"
  };
  var lastSeq = Number(data("last-seq")) || 0;
  var maxSteps = Number(data("max-steps")) || 100;
  var targets = JSON.parse(data("targets") || "{}");
  var nextEvents = JSON.parse(data("next-events") || "{}");
  var awardShown = state.phase === "ended";
  var busy = false;
  var failures = 0;

  sync(data("server-time"), performance.now(), performance.now());

  function mode() {
    if (state.terminated) {
      return null;
    }
    return state.phase === "live" ? "bid" : (state.phase === "listing" ? "quote" : null);
  }

  /* the amount a bid of `steps` increments makes, and the fewest steps allowed */
  function base() {
    return state.current || state.startPrice;
  }

  function minSteps() {
    return state.current ? 1 : 0;
  }

  function amountFor(steps) {
    var b = cents(base());
    var inc = cents(state.increment);
    if (b === null || inc === null) {
      return null;
    }
    return decimal(b + BigInt(steps) * inc);
  }

  /* --- the live regions ----------------------------------------------------------------------- */

  function announce(text) {
    var region = $("ar-announce");
    if (!region || !text) {
      return;
    }
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = text;
    }, 50);
  }

  function message(text, kind) {
    var box = $("ar-message");
    if (!box) {
      announce(text);
      return;
    }
    box.textContent = text || "";
    box.className = "ar-message" + (kind ? " ar-message-" + kind : "");
  }

  /* --- rendering ------------------------------------------------------------------------------ */

  function setText(id, text) {
    var el = $(id);
    if (el && el.textContent !== text) {
      el.textContent = text;
    }
  }

  function show(el, visible) {
    if (el) {
      el.hidden = !visible;
    }
  }

  function countdownTarget() {
    if (state.terminated) {
      return null;
    }
    if (state.phase === "live") {
      return { label: say("label.live"), at: instantMs(state.endsAt) };
    }
    var names = nextEvents[state.phase] || [];
    for (var i = 0; i < names.length; i += 1) {
      if (targets[names[i]]) {
        return { label: say("label." + names[i]), at: targets[names[i]] };
      }
    }
    return null;
  }

  function renderControls() {
    var current = mode();
    show($("ar-controls"), !!current);
    show($("ar-closed"), !current && state.phase !== "ended");
    if (!current) {
      return;
    }
    var min = minSteps();
    Array.prototype.forEach.call(root.querySelectorAll("[data-ar-mode]"), function (input) {
      input.value = current;
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-ar-base]"), function (input) {
      input.value = base() || "";
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-ar-min-steps]"), function (input) {
      input.value = String(min);
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-ar-verb]"), function (span) {
      span.textContent = say("verb." + current);
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-ar-steps-verb]"), function (button) {
      button.textContent = say("steps." + current);
    });
    setText("ar-quick-amount", grouped(amountFor(min)));
    setText("ar-quick-hint", say(min ? "hint.next" : "hint.start"));
    var steps = $("ar-steps-input");
    if (steps) {
      steps.min = String(min);
      steps.max = String(maxSteps);
      if (Number(steps.value) < min) {
        steps.value = String(min || 1);
      }
    }
    renderStepsAmount();
  }

  function renderStepsAmount() {
    var steps = $("ar-steps-input");
    if (!steps) {
      return;
    }
    var n = Number(steps.value);
    var ok = /^\d+$/.test(steps.value) && n >= minSteps() && n <= maxSteps;
    setText("ar-steps-amount", ok ? "= " + grouped(amountFor(n)) + " CNY" : "");
  }

  function renderResult() {
    show($("ar-result"), state.phase === "ended");
  }

  function render() {
    var phase = state.phase;
    var shown = state.terminated && phase !== "ended" ? "terminated" : phase;
    var badge = $("ar-phase");
    if (badge) {
      badge.textContent = say("phase." + shown);
      badge.className = "ar-phase ar-phase-" + shown;
    }
    setText("ar-phase-note", say("note." + shown));
    setText("ar-current-label", say(phase === "ended" ? "label.final" : "label.current"));
    setText("ar-current", grouped(state.current));
    setText("ar-leader", state.leader || "\u2014");
    setText("ar-bids", String(state.bids));
    show($("ar-you-lead"), state.leading && phase !== "ended");
    root.classList.toggle("ar-leading", state.leading && phase !== "ended");
    renderControls();
    renderResult();
    tick(true);
  }

  var tickTimer = null;

  function tick(once) {
    var now = serverNow();
    if (now !== null) {
      setText("ar-server-time", beijing(now));
      var target = state.phase === "ended" ? null : countdownTarget();
      var box = $("ar-countdown");
      if (target && target.at) {
        var remaining = target.at - now;
        setText("ar-countdown-label", target.label || "");
        setText("ar-countdown", left(remaining));
        setText("ar-target", beijing(target.at));
        show($("ar-countdown-box"), true);
        if (box) {
          box.classList.toggle("ar-soon", state.phase === "live" && remaining < 30000);
          box.classList.toggle("ar-over", remaining <= 0);
        }
        if (remaining <= 0 && state.phase === "live") {
          setText("ar-phase-note", say("closing"));
        }
      } else {
        setText("ar-countdown", "\u2014");
        show($("ar-countdown-box"), false);
        if (box) {
          box.classList.remove("ar-soon", "ar-over");
        }
      }
    }
    if (once) {
      return;
    }
    var delay = now === null ? 1000 : 1000 - (now % 1000) + 10;
    tickTimer = window.setTimeout(tick, delay);
  }

  /* --- the history ---------------------------------------------------------------------------- */

  function cell(text, className) {
    var td = document.createElement("td");
    if (className) {
      td.className = className;
    }
    td.textContent = text;
    return td;
  }

  function addRow(item) {
    var body = $("ar-history-body");
    if (!body || item.seq <= lastSeq) {
      return;
    }
    lastSeq = item.seq;
    var empty = body.querySelector("tr.ar-empty");
    if (empty) {
      body.removeChild(empty);
    }
    var mine = state.myPaddle && item.paddle === state.myPaddle;
    var tr = document.createElement("tr");
    tr.className = "ar-new" + (mine ? " ar-my-row" : "");
    tr.appendChild(cell(String(item.seq), "num"));
    tr.appendChild(cell(say("history." + item.phase) || item.phase));
    var paddle = cell(item.paddle);
    if (mine) {
      var you = document.createElement("span");
      you.className = "ar-you";
      you.textContent = " (" + say("you") + ")";
      paddle.appendChild(you);
    }
    tr.appendChild(paddle);
    tr.appendChild(cell(grouped(item.amount), "num"));
    var when = document.createElement("td");
    var time = document.createElement("time");
    var ms = instantMs(item.at);
    time.setAttribute("datetime", item.at);
    if (ms !== null) {
      var text = beijing(ms);
      var date = document.createElement("span");
      date.className = "ar-date";
      date.textContent = text.slice(0, 11);
      time.appendChild(date);
      time.appendChild(document.createTextNode(text.slice(11)));
    } else {
      time.textContent = item.at;
    }
    when.appendChild(time);
    tr.appendChild(when);
    body.insertBefore(tr, body.firstChild);
    while (body.rows.length > MAX_ROWS) {
      body.deleteRow(body.rows.length - 1);
    }
  }

  /* --- talking to the API --------------------------------------------------------------------- */

  function request(url, options) {
    options = options || {};
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    var headers = { "Accept": "application/json" };
    var body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      var meta = document.querySelector('meta[name="csrf-token"]');
      if (meta) {
        headers["X-CSRF-Token"] = meta.getAttribute("content");
      }
      body = JSON.stringify(options.json);
    }
    var sentAt = performance.now();
    return fetch(url, {
      method: options.method || "GET",
      credentials: "same-origin",
      cache: "no-store",
      headers: headers,
      body: body,
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      var receivedAt = performance.now();
      return response.json().catch(function () { return null; }).then(function (json) {
        if (timer) {
          window.clearTimeout(timer);
        }
        return { status: response.status, ok: response.ok, json: json, sentAt: sentAt, receivedAt: receivedAt };
      });
    }, function (error) {
      if (timer) {
        window.clearTimeout(timer);
      }
      throw error;
    });
  }

  function loadHistory(rounds) {
    var url = data("quotes-url") + "?limit=500&after=" + lastSeq;
    return request(url).then(function (answer) {
      if (!answer.ok || !answer.json) {
        return;
      }
      answer.json.items.forEach(addRow);
      if (answer.json.next_cursor && rounds < 20) {
        return loadHistory(rounds + 1);
      }
    });
  }

  function loadAward() {
    if (state.result !== "awarded") {
      setText("ar-result-text", state.result === "failed" ? say("failed") : "");
      announce(say("ended") + " " + (state.result === "failed" ? say("failed") : ""));
      return Promise.resolve();
    }
    return request(data("award-url")).then(function (answer) {
      if (!answer.ok || !answer.json) {
        return;
      }
      var award = answer.json;
      var who = state.leader ? say("paddle", { paddle: state.leader }) + " \u00b7 " + award.winner_name : award.winner_name;
      setText("ar-result-text", say("awarded", { who: who, amount: grouped(award.amount) }));
      var links = $("ar-result-links");
      if (links && award.notice_code && !links.querySelector("a[data-verify]")) {
        var a = document.createElement("a");
        a.setAttribute("data-verify", "");
        a.href = data("verify-url").replace("__CODE__", encodeURIComponent(award.notice_code));
        a.textContent = say("link.verify", { code: award.notice_code });
        links.insertBefore(a, links.firstChild);
      }
      announce(say("ended") + " " + $("ar-result-text").textContent);
    });
  }

  function applyState(next) {
    var before = {
      phase: state.phase, current: state.current, leader: state.leader, leading: state.leading
    };
    state.phase = next.phase;
    state.result = next.result || null;
    state.current = next.current || null;
    state.leader = next.leader_paddle || null;
    state.endsAt = next.ends_at || null;
    state.bids = next.bids || 0;
    state.increment = next.increment || state.increment;
    state.startPrice = next.start_price || state.startPrice;
    if (next.my_paddle) {
      state.myPaddle = next.my_paddle;
    }
    state.leading = !!next.leading;
    render();

    var biddingPhase = state.phase === "live" || state.phase === "listing";
    if (before.phase !== "live" && state.phase === "live") {
      message(say("went_live"), "info");
      announce(say("went_live"));
    }
    if (before.leading && !state.leading && biddingPhase) {
      var outbid = say("outbid", { paddle: state.leader, amount: grouped(state.current) });
      message(outbid, "warn");
      announce(outbid);
    } else if (state.current && state.current !== before.current && biddingPhase) {
      announce(state.leading ? say("leading", { amount: grouped(state.current) })
        : say("price", { amount: grouped(state.current), paddle: state.leader }));
    }
    if (state.phase === "ended" && !awardShown) {
      awardShown = true;
      var won = state.result === "awarded" && state.leading;
      show($("ar-won"), won);
      message(say(won ? "won" : "ended"), won ? "ok" : "info");
      loadAward();
    }
  }

  var pollTimer = null;

  function schedule(delay) {
    window.clearTimeout(pollTimer);
    pollTimer = window.setTimeout(poll, delay);
  }

  function poll() {
    window.clearTimeout(pollTimer);
    request(data("state-url")).then(function (answer) {
      if (!answer.ok || !answer.json) {
        throw new Error("state " + answer.status);
      }
      sync(answer.json.server_time, answer.sentAt, answer.receivedAt);
      var history = answer.json.bids !== state.bids || lastSeq < answer.json.bids;
      applyState(answer.json);
      if (failures > 0) {
        failures = 0;
        root.classList.remove("ar-stale");
      }
      return history ? loadHistory(0) : null;
    }).catch(function () {
      failures += 1;
      if (failures >= 3) {
        root.classList.add("ar-stale");
        setText("ar-phase-note", say("stale"));
      }
    }).then(function () {
      if (state.phase === "ended" && awardShown) {
        return; /* nothing changes after the end */
      }
      schedule(document.hidden ? HIDDEN_POLL_MS : POLL_MS);
    });
  }

  /* --- bidding -------------------------------------------------------------------------------- */

  function refusalText(answer) {
    var error = answer.json && answer.json.error;
    if (!error) {
      return say("server.error");
    }
    var details = error.details || [];
    var minimum = null;
    details.forEach(function (d) {
      if (d && d.minimum && minimum === null) {
        minimum = d.minimum;
      }
    });
    if (texts[error.code] && (texts[error.code].indexOf("{minimum}") < 0 || minimum !== null)) {
      return say(error.code, { minimum: grouped(minimum) });
    }
    return error.message || say("server.error");
  }

  function submit(form, event) {
    var current = mode();
    var isQuick = form.classList.contains("ar-quick");
    var stepsInput = isQuick ? form.querySelector("[data-ar-min-steps]") : form.querySelector("input[name=steps]");
    var steps = Number(stepsInput ? stepsInput.value : NaN);
    if (!current || !/^\d+$/.test(String(stepsInput && stepsInput.value)) || steps < minSteps() || steps > maxSteps) {
      return; /* let the form post and the server explain */
    }
    event.preventDefault();
    if (busy) {
      return;
    }
    /* the amount the button showed when it was pressed */
    var amount = amountFor(steps);
    var url = current === "quote" ? data("quotes-url") : data("bid-url");
    busy = true;
    root.classList.add("ar-busy");
    Array.prototype.forEach.call(root.querySelectorAll("[data-ar-form] button"), function (b) {
      b.setAttribute("aria-disabled", "true");
    });
    var refusal = $("ar-refusal");
    if (refusal) {
      refusal.textContent = "";
    }
    message("", null);
    request(url, { method: "POST", json: { amount: amount } }).then(function (answer) {
      if (answer.status === 201 && answer.json) {
        message(say(current === "quote" ? "accepted.quote" : "accepted.bid",
          { amount: grouped(answer.json.amount), seq: answer.json.seq }), "ok");
      } else {
        message(refusalText(answer), "bad");
      }
    }, function () {
      message(say("network"), "bad");
    }).then(function () {
      busy = false;
      root.classList.remove("ar-busy");
      Array.prototype.forEach.call(root.querySelectorAll("[data-ar-form] button"), function (b) {
        b.removeAttribute("aria-disabled");
      });
      poll();
    });
  }

  Array.prototype.forEach.call(root.querySelectorAll("form[data-ar-form]"), function (form) {
    form.addEventListener("submit", function (event) {
      submit(form, event);
    });
  });
  var stepsInput = $("ar-steps-input");
  if (stepsInput) {
    stepsInput.addEventListener("input", renderStepsAmount);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !(state.phase === "ended" && awardShown)) {
      poll();
    }
  });

  /* after a refused plain-form bid, bring the message into view for keyboard and screen-reader users */
  var refusalBox = $("ar-refusal-box");
  if (refusalBox) {
    refusalBox.focus();
  }

  render();
  tick(false);
  if (!(state.phase === "ended")) {
    poll();
  }
}());
