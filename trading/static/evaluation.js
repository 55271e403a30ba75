/* Evaluation and award pages: the member's scoring form saves each field as it goes (JSON API, session cookie
 * and X-CSRF-Token), Enter moves to the next field, the list of missing work follows; the officer's overview
 * follows the members' signatures; confirmations and the focus on a refusal. Plain JavaScript, no framework.
 *
 * Every page works without this file: the scoring form posts every field at once, the overview shows the state
 * of its last load. All text comes from the page (translated by the server), never from this file.
 */
(function () {
  "use strict";

  function each(list, callback) {
    Array.prototype.forEach.call(list, callback);
  }

  function csrfToken(form) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.getAttribute("content")) {
      return meta.getAttribute("content");
    }
    var input = form && form.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  /* The first message of an API error body: a field's or a rule's message, else the error's own. */
  function errorText(body, fallback) {
    var error = body && body.error;
    if (!error) {
      return fallback;
    }
    var details = error.details || [];
    for (var i = 0; i < details.length; i += 1) {
      if (details[i] && details[i].message) {
        return details[i].message;
      }
    }
    return error.message || fallback;
  }

  function request(method, url, token, bodyText) {
    var headers = {"Accept": "application/json"};
    if (bodyText !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    if (token) {
      headers["X-CSRF-Token"] = token;
    }
    return window.fetch(url, {method: method, credentials: "same-origin", cache: "no-store", headers: headers,
                              body: bodyText})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return {ok: response.ok, status: response.status, body: body};
        });
      });
  }

  /* --- the member's scoring form ---------------------------------------------------------------------
   * <form data-autosave data-qualification-url data-scores-url data-text-*>
   *   <section data-bid="BID"> <fieldset class="vote" data-saved-choice data-saved-reason>
   *     <input type=radio data-vote> ... <span class="save-state">  <textarea data-reason>
   *     <input type=number data-score="BID" data-criterion="CODE" data-saved-value> <span id="ID-state">
   * <section data-missing-panel data-count-template="… __N__ …" data-done-text>
   *   <p data-missing-count> <ul data-missing-list>
   */

  function setUpScoring(form) {
    var texts = {};
    ["saving", "saved", "failed", "number", "reason", "choose", "empty", "network", "locked"].forEach(function (name) {
      texts[name] = form.getAttribute("data-text-" + name) || "";
    });
    var urls = {vote: form.getAttribute("data-qualification-url"), score: form.getAttribute("data-scores-url")};
    var token = csrfToken(form);
    var sequence = 0;
    var latest = {};      // field key -> the sequence of its last request
    var missingSeq = 0;   // the sequence whose answer last updated the missing list

    function setState(element, kind, text) {
      if (!element) {
        return;
      }
      element.className = "save-state" + (kind ? " is-" + kind : "");
      element.textContent = text;
    }

    function clearServerError(field, id) {
      var error = document.getElementById(id + "-error");
      if (error) {
        error.parentNode.removeChild(error);
      }
      var box = field.closest(".has-error");
      if (box) {
        box.classList.remove("has-error");
      }
      field.removeAttribute("aria-invalid");
    }

    function refused(field, state, result) {
      var text = errorText(result.body, "HTTP " + result.status);
      if (result.status === 409 || result.status === 403) {
        text = text + " " + texts.locked;
      }
      setState(state, "failed", texts.failed + " " + text);
      field.setAttribute("aria-invalid", "true");
    }

    function send(key, url, bodyText, field, state, onSaved) {
      sequence += 1;
      var mine = sequence;
      latest[key] = mine;
      setState(state, "saving", texts.saving);
      request("PUT", url, token, bodyText).then(function (result) {
        if (latest[key] !== mine) {
          return; // a later change of the same field answers for it
        }
        if (result.ok) {
          onSaved();
          setState(state, "saved", texts.saved);
          if (mine >= missingSeq && result.body && result.body.missing) {
            missingSeq = mine;
            updateMissing(result.body.missing);
          }
        } else {
          refused(field, state, result);
        }
      }).catch(function () {
        if (latest[key] === mine) {
          setState(state, "failed", texts.failed + " " + texts.network);
        }
      });
    }

    function sectionOf(bidId) {
      var found = null;
      each(form.querySelectorAll("[data-bid]"), function (section) {
        if (section.getAttribute("data-bid") === bidId) {
          found = section;
        }
      });
      return found;
    }

    function saveVote(section) {
      var group = section.querySelector("fieldset.vote");
      var state = group.querySelector(".save-state");
      var checked = group.querySelector("input[data-vote]:checked");
      var reasonField = section.querySelector("textarea[data-reason]");
      var reason = reasonField ? reasonField.value.trim() : "";
      if (!checked) {
        if (reason) {
          setState(state, "pending", texts.choose);
        }
        return;
      }
      if (checked.value === "fail" && !reason) {
        setState(state, "pending", texts.reason);
        return;
      }
      if (group.getAttribute("data-saved-choice") === checked.value && group.getAttribute("data-saved-reason") === reason) {
        return; // nothing changed since the last save
      }
      var bidId = section.getAttribute("data-bid");
      var body = JSON.stringify({bid_id: bidId, pass: checked.value === "pass", reason: reason || null});
      send("vote:" + bidId, urls.vote, body, checked, state, function () {
        group.setAttribute("data-saved-choice", checked.value);
        group.setAttribute("data-saved-reason", reason);
        clearServerError(checked, checked.id);
        if (reasonField) {
          clearServerError(reasonField, reasonField.id);
        }
      });
    }

    function saveScore(input) {
      var state = document.getElementById(input.id + "-state");
      var text = input.value.trim();
      if (input.validity && input.validity.badInput) {
        setState(state, "failed", texts.failed + " " + texts.number);
        input.setAttribute("aria-invalid", "true");
        return;
      }
      if (text === "") {
        setState(state, input.getAttribute("data-saved-value") ? "pending" : "", input.getAttribute("data-saved-value") ? texts.empty : "");
        return;
      }
      if (!/^-?\d+(\.\d+)?$/.test(text)) {
        setState(state, "failed", texts.failed + " " + texts.number);
        input.setAttribute("aria-invalid", "true");
        return;
      }
      // a JSON number as typed, so that the server sees the decimals the member entered (no float rounding)
      var number = text.replace(/^(-?)0+(?=\d)/, "$1");
      var saved = input.getAttribute("data-saved-value");
      if (saved && Number(saved) === Number(number) && input.getAttribute("aria-invalid") !== "true") {
        return;
      }
      var bidId = input.getAttribute("data-score");
      var code = input.getAttribute("data-criterion");
      var body = '{"bid_id":' + JSON.stringify(bidId) + ',"criterion":' + JSON.stringify(code) + ',"score":' + number + "}";
      send("score:" + bidId + ":" + code, urls.score, body, input, state, function () {
        input.setAttribute("data-saved-value", number);
        clearServerError(input, input.id);
      });
    }

    function updateMissing(missing) {
      var panel = document.querySelector("[data-missing-panel]");
      if (!panel) {
        return;
      }
      var list = panel.querySelector("[data-missing-list]");
      var count = panel.querySelector("[data-missing-count]");
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      missing.forEach(function (item) {
        var section = sectionOf(item.bid_id);
        if (!section) {
          return;
        }
        var target;
        var label;
        if (item.criterion === null || item.criterion === undefined) {
          target = section.querySelector("input[data-vote]");
          label = section.querySelector("fieldset.vote").getAttribute("data-label");
        } else {
          each(section.querySelectorAll("input[data-score]"), function (input) {
            if (input.getAttribute("data-criterion") === item.criterion) {
              target = input;
            }
          });
          label = target ? target.getAttribute("data-label") : item.criterion;
        }
        var entry = document.createElement("li");
        var link = document.createElement("a");
        link.href = "#" + (target ? target.id : section.id);
        link.textContent = label;
        entry.appendChild(link);
        list.appendChild(entry);
      });
      count.textContent = missing.length ?
        (panel.getAttribute("data-count-template") || "__N__").replace("__N__", String(missing.length)) :
        panel.getAttribute("data-done-text");
      count.className = missing.length ? "todo" : "done";
    }

    /* the fields in Tab order, a radio group counting once (its checked radio, else its first) */
    function fieldsInOrder() {
      var seen = {};
      var out = [];
      each(form.querySelectorAll("input, textarea, select"), function (element) {
        if (element.type === "hidden" || element.disabled) {
          return;
        }
        if (element.type === "radio") {
          if (seen[element.name]) {
            return;
          }
          seen[element.name] = true;
          var checked = form.querySelector('input[type="radio"][name="' + CSS.escape(element.name) + '"]:checked');
          out.push(checked || element);
          return;
        }
        out.push(element);
      });
      return out;
    }

    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.hasAttribute("data-vote") || target.hasAttribute("data-reason")) {
        saveVote(target.closest("[data-bid]"));
      } else if (target.hasAttribute("data-score")) {
        saveScore(target);
      }
    });

    // Enter moves on, like Tab (Shift+Enter goes back); it never sends the page. In a reason, Enter is a new line.
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key !== "Enter" || target.tagName === "TEXTAREA" || target.tagName === "BUTTON" ||
          event.ctrlKey || event.altKey || event.metaKey) {
        return;
      }
      event.preventDefault();
      var fields = fieldsInOrder();
      var index = fields.indexOf(target);
      if (index === -1 && target.type === "radio") {
        fields.forEach(function (field, position) {
          if (field.name === target.name) {
            index = position;
          }
        });
      }
      var next = fields[index + (event.shiftKey ? -1 : 1)];
      if (next) {
        next.focus();
        if (next.select && next.type === "number") {
          next.select();
        }
      } else if (!event.shiftKey) {
        var panel = document.getElementById("missing");
        var sign = panel && panel.querySelector("button");
        (sign || target).focus();
      }
    });

    // a turn of the mouse wheel over a focused score must not change it
    form.addEventListener("wheel", function (event) {
      if (event.target.type === "number" && document.activeElement === event.target) {
        event.preventDefault();
      }
    }, {passive: false});
  }

  /* --- the officer's overview: the members' signatures ------------------------------------------------
   * <section data-ev-poll="/api/v1/.../evaluation" data-interval="5000" data-status="scoring">
   *   <tr data-member="EXPERT"> <td data-signed data-unsigned-text>   <span data-signed-count>
   *   <p data-all-signed hidden>   <span data-poll-error hidden>
   * When the evaluation's status changes (it is finalised) the page reloads to show the ranking.
   */

  function localText(value) {
    // the API writes instants in Beijing time (+08:00): the first 16 characters are the local minute
    return String(value).slice(0, 16).replace("T", " ");
  }

  function setUpPolling(box) {
    var url = box.getAttribute("data-ev-poll");
    var interval = Math.max(parseInt(box.getAttribute("data-interval") || "5000", 10), 1000);
    var status = box.getAttribute("data-status");
    var errorBox = box.querySelector("[data-poll-error]");
    var timer = null;

    function apply(body) {
      var signed = 0;
      var members = body.members || [];
      members.forEach(function (member) {
        if (member.signed_at) {
          signed += 1;
        }
        each(box.querySelectorAll("tr[data-member]"), function (row) {
          if (row.getAttribute("data-member") !== String(member.expert_id)) {
            return;
          }
          var cell = row.querySelector("[data-signed]");
          var text = member.signed_at ? localText(member.signed_at) : cell.getAttribute("data-unsigned-text");
          if (cell.textContent.trim() === text) {
            return;
          }
          var span = document.createElement("span");
          span.className = member.signed_at ? "tag ok" : "muted";
          span.textContent = text;
          while (cell.firstChild) {
            cell.removeChild(cell.firstChild);
          }
          cell.appendChild(span);
        });
      });
      var count = box.querySelector("[data-signed-count]");
      if (count) {
        count.textContent = String(signed);
      }
      var all = box.querySelector("[data-all-signed]");
      if (all) {
        all.hidden = !(members.length && signed === members.length);
      }
    }

    function schedule() {
      timer = window.setTimeout(poll, interval);
    }

    function poll() {
      timer = null;
      if (document.hidden) {
        return; // resumed by visibilitychange
      }
      request("GET", url).then(function (result) {
        if (!result.ok) {
          throw new Error("HTTP " + result.status);
        }
        if (errorBox) {
          errorBox.hidden = true;
        }
        if (result.body.status !== status) {
          window.location.reload();
          return;
        }
        apply(result.body);
        schedule();
      }).catch(function () {
        if (errorBox) {
          errorBox.hidden = false;
        }
        schedule();
      });
    }

    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && timer === null) {
        poll();
      }
    });
    schedule();
  }

  /* --- confirmations and the focus on a refusal ---------------------------------------------------- */

  /* <form data-confirm="…">, or <button type="submit" data-confirm="…"> for that button only */
  function setUpConfirmations() {
    each(document.querySelectorAll(".ev form"), function (form) {
      form.addEventListener("submit", function (event) {
        var submitter = event.submitter;
        var text = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
        if (text && !window.confirm(text)) {
          event.preventDefault();
        }
      });
    });
  }

  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  function start() {
    if (window.fetch) {
      each(document.querySelectorAll("form[data-autosave]"), setUpScoring);
      each(document.querySelectorAll("[data-ev-poll]"), setUpPolling);
    }
    setUpConfirmations();
    focusErrors();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
