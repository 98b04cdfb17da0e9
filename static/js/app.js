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
    if (!form.hasAttribute("hx-post") && !form.hasAttribute("hx-get")) {
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
    select.parentNode.insertBefore(box, select);
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

  function enhance(root) {
    root.querySelectorAll("select[data-searchable]").forEach(makeSearchable);
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
})();
