/* ggzy pages: repeatable form rows, live opening progress, confirmations. Plain JavaScript, no framework.
 *
 * Everything here enhances pages that already work without it: the add and remove buttons of repeatable
 * rows are real submit buttons the server understands, and the opening pages show the state of their
 * last load. All text comes from the page itself (translated by the server), never from this file.
 */
(function () {
  "use strict";

  /* --- repeatable rows (lots, criteria) ---------------------------------------------------------
   * <fieldset data-repeat="lots" data-id-prefix="f-lots" data-min="1">
   *   <div data-repeat-rows> <fieldset data-repeat-row> ... <button data-repeat-remove> </fieldset> ... </div>
   *   <template data-repeat-template> a row whose names say lots[__i__] and ids f-lots-__i__- </template>
   *   <button data-repeat-add>
   */

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  function renumberRow(row, group, index) {
    var name = group.getAttribute("data-repeat");
    var idPrefix = group.getAttribute("data-id-prefix");
    var namePattern = new RegExp("^" + escapeRegExp(name) + "\\[(?:\\d+|__i__)\\]");
    var idPattern = new RegExp(escapeRegExp(idPrefix) + "-(?:\\d+|__i__)-", "g");
    var nameValue = name + "[" + index + "]";
    var idValue = idPrefix + "-" + index + "-";
    row.querySelectorAll("[name]").forEach(function (element) {
      element.setAttribute("name", element.getAttribute("name").replace(namePattern, nameValue));
    });
    ["id", "for", "aria-describedby"].forEach(function (attribute) {
      var elements = Array.prototype.slice.call(row.querySelectorAll("[" + attribute + "]"));
      if (row.hasAttribute(attribute)) {
        elements.push(row);
      }
      elements.forEach(function (element) {
        element.setAttribute(attribute, element.getAttribute(attribute).replace(idPattern, idValue));
      });
    });
    row.querySelectorAll("[data-repeat-remove]").forEach(function (button) {
      button.value = nameValue;
    });
    row.querySelectorAll("[data-row-number]").forEach(function (element) {
      element.textContent = String(index + 1);
    });
  }

  function rowsOf(group) {
    var container = group.querySelector("[data-repeat-rows]");
    return Array.prototype.filter.call(container.children, function (child) {
      return child.hasAttribute("data-repeat-row");
    });
  }

  function refreshGroup(group) {
    var rows = rowsOf(group);
    var min = parseInt(group.getAttribute("data-min") || "0", 10);
    var max = parseInt(group.getAttribute("data-max") || "100", 10);
    rows.forEach(function (row, index) {
      renumberRow(row, group, index);
      row.querySelectorAll("[data-repeat-remove]").forEach(function (button) {
        button.hidden = rows.length <= min;
      });
    });
    group.querySelectorAll("[data-repeat-add]").forEach(function (button) {
      button.disabled = rows.length >= max;
    });
  }

  function addRow(group) {
    var template = group.querySelector("template[data-repeat-template]");
    var container = group.querySelector("[data-repeat-rows]");
    var row = template.content.firstElementChild.cloneNode(true);
    container.appendChild(row);
    refreshGroup(group);
    var first = row.querySelector("input, select, textarea");
    if (first) {
      first.focus();
    }
  }

  function removeRow(group, row) {
    var rows = rowsOf(group);
    var index = rows.indexOf(row);
    row.parentNode.removeChild(row);
    refreshGroup(group);
    // keep the keyboard where it was: on the next row, or the one before, or the add button
    var remaining = rowsOf(group);
    var target = remaining[Math.min(index, remaining.length - 1)];
    var focusable = target ? target.querySelector("input, select, textarea") : group.querySelector("[data-repeat-add]");
    if (focusable) {
      focusable.focus();
    }
  }

  function setUpRepeats() {
    document.querySelectorAll("[data-repeat]").forEach(function (group) {
      if (!group.querySelector("template[data-repeat-template]")) {
        return;
      }
      group.addEventListener("click", function (event) {
        var button = event.target.closest("button");
        if (!button || !group.contains(button)) {
          return;
        }
        if (button.hasAttribute("data-repeat-add") && button.closest("[data-repeat]") === group) {
          event.preventDefault();
          addRow(group);
        } else if (button.hasAttribute("data-repeat-remove") && button.closest("[data-repeat]") === group) {
          event.preventDefault();
          removeRow(group, button.closest("[data-repeat-row]"));
        }
      });
      refreshGroup(group);
    });
  }

  /* --- live opening progress ---------------------------------------------------------------------
   * <div data-poll-url="/api/v1/projects/ID/opening" data-poll-interval="3000" data-poll-status="opening">
   *   <tr data-lot="LOT_ID"> <span data-field="bids_opened"> <span data-field="bids_total"> <progress data-field="progress">
   *   <span data-poll-updated data-template="{opened} of {total} decrypted" aria-live="polite">
   *   <p data-poll-error hidden>
   * When the opening's status changes (it starts, or it closes) the page reloads to show the new state.
   */

  function setText(element, value) {
    if (element && element.textContent !== String(value)) {
      element.textContent = String(value);
      return true;
    }
    return false;
  }

  function applyProgress(box, body) {
    var changed = false;
    (body.lots || []).forEach(function (lot) {
      var row = box.querySelector('[data-lot="' + CSS.escape(String(lot.lot_id)) + '"]');
      if (!row) {
        return;
      }
      changed = setText(row.querySelector('[data-field="bids_opened"]'), lot.bids_opened) || changed;
      changed = setText(row.querySelector('[data-field="bids_total"]'), lot.bids_total) || changed;
      var progress = row.querySelector('[data-field="progress"]');
      if (progress) {
        progress.max = Math.max(lot.bids_total, 1);
        progress.value = lot.bids_opened;
        progress.textContent = lot.bids_opened + " / " + lot.bids_total;
      }
    });
    return changed;
  }

  function setUpPolling() {
    var box = document.querySelector("[data-poll-url]");
    if (!box || !window.fetch) {
      return;
    }
    var url = box.getAttribute("data-poll-url");
    var interval = Math.max(parseInt(box.getAttribute("data-poll-interval") || "3000", 10), 1000);
    var status = box.getAttribute("data-poll-status");
    var errorBox = box.querySelector("[data-poll-error]");
    var updated = box.querySelector("[data-poll-updated]");
    var timer = null;

    function schedule() {
      timer = window.setTimeout(poll, interval);
    }

    function poll() {
      timer = null;
      if (document.hidden) {
        return; // resumed by visibilitychange
      }
      window.fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (body) {
          if (errorBox) {
            errorBox.hidden = true;
          }
          if (body.status !== status) {
            window.location.reload();
            return;
          }
          if (applyProgress(box, body) && updated) {
            // announce the new totals once, through the live region
            var opened = 0;
            var total = 0;
            (body.lots || []).forEach(function (lot) {
              opened += lot.bids_opened;
              total += lot.bids_total;
            });
            updated.textContent = (updated.getAttribute("data-template") || "{opened} / {total}")
              .replace("{opened}", String(opened)).replace("{total}", String(total));
          }
          schedule();
        })
        .catch(function () {
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

  /* --- confirmations: <form data-confirm="Really terminate?"> ----------------------------------- */

  function setUpConfirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    });
  }

  /* --- the error summary takes the focus, so that keyboard and screen reader users land on it ---- */

  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  function start() {
    setUpRepeats();
    setUpPolling();
    setUpConfirmations();
    focusErrors();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
