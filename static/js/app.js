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
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        b.setAttribute("aria-disabled", "true");
        b.classList.add("is-busy");
      });
    }, 0);
  });
})();
