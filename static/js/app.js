/* 楼事通 Loushi: the only first-party script.  Everything works without it; it only
   smooths htmx swaps.  No inline handlers, no eval (strict CSP). */
(function () {
  "use strict";

  // What htmx sends that is not a GET carries the page's CSRF token (Flask-WTF reads the
  // X-CSRFToken header when the request has no csrf_token field of its own): the token of
  // the request's form, else of the page's first form (a signed-in page always has the
  // sign-out form).  A page without a form sends nothing but GETs.
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (!detail || detail.verb === "get" || detail.headers["X-CSRFToken"]) return;
    var form = detail.elt && detail.elt.closest ? detail.elt.closest("form") : null;
    var field = (form && form.querySelector('input[name="csrf_token"]')) || document.querySelector('input[name="csrf_token"]');
    if (field) detail.headers["X-CSRFToken"] = field.value;
  });

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

  // The guide's filters fold away in a <details> on a phone; a wide screen shows them open
  // (site.css does it where the browser supports ::details-content, this elsewhere).
  if (window.matchMedia && !(window.CSS && CSS.supports && CSS.supports("selector(::details-content)")) &&
      window.matchMedia("(min-width: 48rem)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (details) { details.open = true; });
  }
})();
