/* 楼事通 Loushi: the only first-party script.  Everything works without it; it only
   smooths htmx swaps.  No inline handlers, no eval (strict CSP). */
(function () {
  "use strict";

  // After htmx swaps in a form re-rendered with errors (HTTP 422), move focus to its
  // error summary so keyboard and screen-reader users hear what went wrong.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !event.detail.xhr || event.detail.xhr.status !== 422) return;
    var summary = target.querySelector(".error-summary");
    if (summary) summary.focus();
  });

  // Disable a form's submit buttons while it is being sent (no double submit on a slow
  // line); htmx re-enables nothing for full-page posts, the next page load does.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("data-allow-resubmit")) return;
    // A plain (non-htmx) form is sent once: a second click while the page loads is ignored
    // (the server also turns a repeated submission into the same record).
    if (!form.hasAttribute("data-hx-post") && !form.hasAttribute("data-hx-get")) {
      if (form.dataset.submitting === "1") { event.preventDefault(); return; }
      form.dataset.submitting = "1";
    }
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        b.setAttribute("aria-disabled", "true");
        b.classList.add("is-busy");
      });
    }, 0);
  });

  // A long <select data-searchable> gets a filter box: typing hides the options that do
  // not contain the text (the select itself still posts, so nothing depends on this).
  function makeSearchable(select) {
    if (select.dataset.searchReady) return;
    select.dataset.searchReady = "1";
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-filter";
    box.setAttribute("aria-label", select.dataset.searchLabel || "");
    box.placeholder = select.dataset.searchLabel || "";
    if (select.id) { box.id = select.id + "-filter"; box.dataset.filterFor = select.id; }
    box.setAttribute("aria-controls", select.id || "");
    box.setAttribute("autocomplete", "off");
    select.parentNode.insertBefore(box, select);
    if (select.dataset.searchHint && select.id) {
      var hint = document.createElement("p");
      hint.className = "hint";
      hint.id = select.id + "-filter-hint";
      hint.textContent = select.dataset.searchHint;
      select.parentNode.insertBefore(hint, box);
      box.setAttribute("aria-describedby", hint.id);
    }
    // What is chosen, said aloud as the filter or the arrow keys change it.
    var said = document.createElement("span");
    said.className = "visually-hidden";
    said.setAttribute("aria-live", "polite");
    select.parentNode.insertBefore(said, select);
    function sayChoice() { said.textContent = select.value && select.selectedOptions[0] ? select.selectedOptions[0].textContent.trim() : ""; }
    // Keyboard: ↓/↑ choose the next/previous option the filter left, Enter keeps the
    // choice without sending the form, Escape clears the filter.
    box.addEventListener("keydown", function (event) {
      if (event.isComposing) return;
      if (event.key === "Enter") { event.preventDefault(); return; }
      if (event.key === "Escape" && box.value) {
        event.preventDefault();
        box.value = "";
        box.dispatchEvent(new Event("input"));
        return;
      }
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      event.preventDefault();
      var shown = Array.prototype.filter.call(select.options, function (o) {
        return o.value && !o.hidden && !(o.parentNode && o.parentNode.hidden) && !o.disabled;
      });
      if (!shown.length) return;
      var at = shown.indexOf(select.selectedOptions[0]);
      var next = event.key === "ArrowDown" ? Math.min(at + 1, shown.length - 1) : Math.max(at - 1, 0);
      if (at === -1) next = event.key === "ArrowDown" ? 0 : shown.length - 1;
      select.value = shown[next].value;
      sayChoice();
    });
    box.addEventListener("input", function () {
      var needle = box.value.trim().toLowerCase();
      var first = null;
      select.querySelectorAll("option").forEach(function (option) {
        var show = !needle || !option.value || option.textContent.toLowerCase().indexOf(needle) !== -1;
        option.hidden = !show;
        if (show && option.value && !first) first = option;
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      if (needle && first && (!select.value || select.selectedOptions[0].hidden)) select.value = first.value;
      sayChoice();
    });
  }

  // Choosing a canned reply puts its text into the message box (it can still be edited).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.dataset.cannedTarget) return;
    var template = document.getElementById("canned-" + select.value);
    var target = select.form && select.form.elements[select.dataset.cannedTarget];
    if (template && target) target.value = template.content ? template.content.textContent.trim() : template.textContent.trim();
  });

  // Back to a page from the browser's cache: its forms can be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll(".is-busy").forEach(function (b) { b.classList.remove("is-busy"); b.removeAttribute("aria-disabled"); });
    });
  });

  // An htmx swap that replaces the focused element (a moderation row, a +1 button, a
  // re-checked field, "Load more") must not drop keyboard focus to <body>: put it back on
  // the same control in the new content (same id; the filter box of the same list, with
  // what was typed in it; the same link; the same field or button of the same form), else
  // on the new content's status message, else on the new content itself.
  function attr(name, value) { return "[" + name + '="' + CSS.escape(value) + '"]'; }
  function focusKey(el) {
    if (el.id) return "#" + CSS.escape(el.id);
    var tag = el.tagName.toLowerCase();
    if (el.getAttribute("href")) return tag + attr("href", el.getAttribute("href"));
    var form = el.form;
    if (form && form.getAttribute("action")) {
      return "form" + attr("action", form.getAttribute("action")) + " " + tag +
        (el.name ? attr("name", el.name) : "") + (el.getAttribute("type") ? attr("type", el.getAttribute("type")) : "");
    }
    return null;
  }
  var focusBefore = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var el = document.activeElement;
    var target = event.detail.target;
    focusBefore = event.detail.shouldSwap && el && el !== document.body && target && target.contains(el) ? {
      el: el, key: focusKey(el), xhr: event.detail.xhr,
      value: el.classList.contains("select-filter") ? el.value : null
    } : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var saved = focusBefore;
    var current = document.activeElement;
    if (!saved || saved.xhr !== event.detail.xhr) return;
    if (current && current !== document.body && document.contains(current)) return;
    focusBefore = null;
    if (document.contains(saved.el)) { saved.el.focus(); return; }
    var root = event.target instanceof Element && document.contains(event.target) ? event.target : null;
    var target = saved.key ? document.querySelector(saved.key) : null;
    if (target && saved.value && target.classList.contains("select-filter")) {
      target.value = saved.value;
      target.dispatchEvent(new Event("input"));
    }
    if (!target && root) {
      target = root.querySelector("[data-focus-after-swap], .flash, [role=status], [role=alert]") || root;
      if (!target.hasAttribute("tabindex") && !target.matches("a[href], button, input, select, textarea")) {
        target.setAttribute("tabindex", "-1");
      }
    }
    if (target) target.focus();
  });

  function enhance(root) {
    root.querySelectorAll("select[data-searchable]").forEach(makeSearchable);
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
})();
