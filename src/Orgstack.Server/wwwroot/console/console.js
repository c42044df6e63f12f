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
      var status = document.getElementById("copy-status");
      navigator.clipboard.writeText(source.value).then(function () {
        if (label) label.textContent = "Copied";
        if (status) status.textContent = "Organization ID copied to the clipboard.";
        setTimeout(function () { if (label) label.textContent = "Copy"; }, 2000);
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
