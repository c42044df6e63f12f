// Progressive enhancement only: every page works without this file.
"use strict";
(function () {
  // Menus are <details>: close them with Escape or a click elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  // Copy buttons: shown only when the clipboard is available; otherwise the read-only field can be selected by hand.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      var label = button.querySelector("[data-copy-label]");
      var original = label ? label.textContent : "";
      var status = document.getElementById("copy-status");
      navigator.clipboard.writeText(source.value).then(function () {
        if (label) label.textContent = "Copied";
        if (status) status.textContent = button.getAttribute("data-copy-status") || "Organization ID copied to the clipboard.";
        setTimeout(function () { if (label) label.textContent = original; }, 2000);
      }, function () {
        source.focus();
        source.select();
        if (status) status.textContent = "Press Ctrl+C (⌘C on a Mac) to copy.";
      });
    });
  });
  document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();

(function () {
  // Filters that apply as soon as they change (the Apply button stays for keyboard and no-JS users).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { if (select.form) select.form.requestSubmit(); });
  });

  // Users list selection: a bulk bar with the count, at most data-bulk-max rows at once.
  document.querySelectorAll("form[data-bulk]").forEach(function (form) {
    var max = parseInt(form.getAttribute("data-bulk-max") || "10", 10);
    var bar = form.querySelector("[data-bulk-bar]");
    var count = form.querySelector("[data-bulk-count]");
    var note = form.querySelector("[data-bulk-note]");
    var all = form.querySelector("[data-bulk-all]");
    var items = Array.prototype.slice.call(form.querySelectorAll("input[data-bulk-item]"));
    if (all) all.hidden = false;

    function update() {
      var checked = items.filter(function (i) { return i.checked; }).length;
      bar.hidden = checked === 0;
      count.textContent = String(checked);
      var full = checked >= max;
      items.forEach(function (i) { i.disabled = full && !i.checked; });
      note.classList.toggle("is-full", full);
      note.textContent = full ? "Limit reached: " + max + " users at a time." : "Up to " + max + " users at a time.";
      if (all) {
        all.checked = checked > 0 && (checked === items.length || full);
        all.indeterminate = checked > 0 && !all.checked;
      }
    }
    items.forEach(function (i) { i.addEventListener("change", update); });
    if (all) all.addEventListener("change", function () {
      var want = all.checked;
      var taken = 0;
      items.forEach(function (i) {
        if (want && taken < max) { i.checked = true; taken++; } else { i.checked = false; }
      });
      update();
    });
    form.querySelector("[data-bulk-clear]").addEventListener("click", function () {
      items.forEach(function (i) { i.checked = false; });
      update();
      if (all) all.focus();
    });
    update();
  });
})();

(function () {
  // The first field or button of a confirmation or form asks for focus (keyboard users land where they act).
  var target = document.querySelector("[data-autofocus]");
  if (target && !document.querySelector("[role=alert]:not([data-autofocus])")) target.focus();

  // Typed confirmations: the destructive button waits until the exact name is typed (the server checks it again).
  document.querySelectorAll("[data-confirm-input]").forEach(function (input) {
    var form = input.form;
    var button = form && form.querySelector("[data-confirm-submit]");
    if (!button) return;
    function update() { button.disabled = input.value.trim() !== input.getAttribute("data-confirm-input"); }
    input.addEventListener("input", update);
    update();
  });

  // Stack role picker: keep the "n stacks chosen" summary current.
  document.querySelectorAll("[data-stack-panel]").forEach(function (panel) {
    var count = panel.querySelector("[data-stack-count]");
    function update() {
      var n = Array.prototype.filter.call(panel.querySelectorAll("fieldset"), function (f) { return f.querySelector("input:checked"); }).length;
      count.textContent = n === 0 ? "No stacks chosen" : n === 1 ? "1 stack chosen" : n + " stacks chosen";
    }
    panel.addEventListener("change", update);
  });

  // Single sign-on: a SAML response that arrived cross-site without the sign-in cookie is re-sent from this site once.
  document.querySelectorAll("form[data-autopost]").forEach(function (form) { form.submit(); });
  // "Sign in with single sign-on": go on to the identity provider (a link, because CSP form-action keeps forms on this site).
  document.querySelectorAll("a[data-autofollow]").forEach(function (link) { window.location.assign(link.href); });
})();
