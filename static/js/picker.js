/* 楼事通 Loushi: the service picker.  A <select data-combobox> (the server's list, which
   is all there is without JavaScript) becomes a combobox (WAI-ARIA 1.2 pattern: a text
   box with role=combobox controlling a listbox, aria-activedescendant, a polite status
   saying how many services were found) fed by the guide's own search
   (data-suggest-url, the same query as /guide/?q=).  The hidden <select> still posts the
   service; only an explicit choice (Enter on an option, a click) sets it, and any change
   of the text clears it again: a stale match is never left selected.  What was typed
   posts as data-text-name, so the server can say "choose from the list" and keep it.
   No inline handlers, no eval, no innerHTML (strict CSP). */
(function () {
  "use strict";

  function make(tag, cls) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    return el;
  }

  function enhance(select) {
    if (select.dataset.comboReady || !select.id || !window.fetch) return;
    select.dataset.comboReady = "1";
    var data = select.dataset;
    var field = select.closest(".field") || select.parentNode;
    var label = field.querySelector('label[for="' + CSS.escape(select.id) + '"]');
    var listId = select.id + "-listbox";
    var other = Array.prototype.find.call(select.options, function (o) { return o.value === "other"; });

    var hint = make("p", "hint");
    hint.id = select.id + "-picker-hint";
    hint.textContent = data.hint || "";
    var box = make("div", "combobox");
    var input = make("input", "combobox-input");
    input.type = "text";
    input.id = select.id + "-input";
    input.name = data.textName || "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");
    input.setAttribute("autocapitalize", "off");
    input.setAttribute("spellcheck", "false");
    input.setAttribute("aria-describedby", [hint.id, select.getAttribute("aria-describedby") || ""].join(" ").trim());
    if (select.getAttribute("aria-invalid")) input.setAttribute("aria-invalid", select.getAttribute("aria-invalid"));
    var list = make("ul", "combobox-list");
    list.id = listId;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    if (label) {
      if (!label.id) label.id = select.id + "-label";
      list.setAttribute("aria-labelledby", label.id);
      label.htmlFor = input.id;
    }
    var status = make("div", "visually-hidden");
    status.setAttribute("role", "status");
    status.setAttribute("aria-atomic", "true");
    box.appendChild(input);
    box.appendChild(list);
    select.parentNode.insertBefore(hint, select);
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(status, select);
    select.hidden = true;

    var chosen = select.value && select.selectedOptions[0] ? select.selectedOptions[0].textContent.trim() : "";
    input.value = select.value ? chosen : (data.typed || "");
    var items = [], active = -1, asked = 0, timer = null, sayTimer = null;

    function say(text, delay) {
      window.clearTimeout(sayTimer);
      sayTimer = window.setTimeout(function () { status.textContent = text; }, delay || 0);
    }
    function setActive(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, n) {
        li.classList.toggle("is-active", n === i);
        li.setAttribute("aria-selected", n === i ? "true" : "false");
      });
      if (i >= 0) {
        input.setAttribute("aria-activedescendant", list.children[i].id);
        list.children[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function open() {
      if (!items.length) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }
    function clearChoice() {
      if (!select.value) return;
      select.value = "";
      chosen = "";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function choose(i) {
      var item = items[i];
      if (!item) return;
      select.value = item.value;
      chosen = item.label;
      input.value = item.label;
      close();
      say((data.msgChosen || "{label}").replace("{label}", item.label));
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function show(results) {
      // Only services the form's own list offers (the server files nothing else).
      items = results.filter(function (r) {
        return r.value !== "other" && Array.prototype.some.call(select.options, function (o) { return o.value === r.value; });
      });
      var found = items.length;
      if (other) items.push({ value: "other", label: other.textContent.trim(), group: "" });
      while (list.firstChild) list.removeChild(list.firstChild);
      items.forEach(function (item, n) {
        var li = make("li", "combobox-option");
        li.id = listId + "-" + n;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("aria-posinset", String(n + 1));
        li.setAttribute("aria-setsize", String(items.length));
        li.appendChild(document.createTextNode(item.label));
        if (item.group) {
          var group = make("span", "combobox-group");
          group.textContent = item.group;
          li.appendChild(group);
        }
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep focus in the box
        li.addEventListener("click", function () { choose(n); input.focus(); });
        list.appendChild(li);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      open();
      var message = found === 0 ? data.msgNone : found === 1 ? data.msgOne : (data.msgMany || "").replace("{n}", String(found));
      say(message || "", 600);  // once the typing pauses, not on every key
    }
    function ask() {
      var q = input.value.trim();
      var mine = ++asked;
      if (!q) { items = []; close(); say(""); return; }
      window.fetch(data.suggestUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .catch(function () { return { results: [] }; })
        .then(function (answer) {
          if (mine === asked && document.activeElement === input) show(answer.results || []);
        });
    }

    input.addEventListener("input", function () {
      if (input.value !== chosen) clearChoice();
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (event.isComposing) return;
      var shown = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!shown) { if (items.length) open(); else ask(); }
        if (items.length) setActive(Math.min(active + 1, items.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (shown) setActive(Math.max(active - 1, -1));
      } else if (event.key === "Enter") {
        if (shown) {
          event.preventDefault();  // never sends the form while the list is open
          if (active >= 0) choose(active);
        }
      } else if (event.key === "Escape") {
        if (shown) { event.preventDefault(); close(); }
      } else if (event.key === "Tab") {
        close();  // leaving chooses nothing
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });

    // The error summary's link to the service goes to the text box.
    document.addEventListener("click", function (event) {
      var link = event.target instanceof Element && event.target.closest('a[href="#' + CSS.escape(select.id) + '"]');
      if (!link || !document.contains(input)) return;
      event.preventDefault();
      input.focus();
    });
  }

  function enhanceAll(root) {
    if (root.matches && root.matches("select[data-combobox]")) enhance(root);
    if (root.querySelectorAll) root.querySelectorAll("select[data-combobox]").forEach(enhance);
  }
  document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  document.addEventListener("htmx:load", function (event) { enhanceAll(event.detail.elt); });
})();
