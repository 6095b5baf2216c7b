// warroom UI: keyboard shortcuts, copy buttons and live updates. Every page works without it.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // Keyboard shortcuts: g+i, g+o, n, /, j/k, a, ?
  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      var link = document.querySelector('nav a[data-key="' + key + '"]');
      if (link) { event.preventDefault(); window.location.href = link.getAttribute("href"); }
      return;
    }
    if (key === "g") { pendingG = true; window.setTimeout(function () { pendingG = false; }, 1500); return; }
    if (key === "?") { var help = document.getElementById("shortcuts"); if (help && help.showModal) { event.preventDefault(); help.showModal(); } return; }
    if (key === "n") { var declare = document.querySelector('nav a[data-key="n"]'); if (declare) { event.preventDefault(); window.location.href = declare.getAttribute("href"); } return; }
    if (key === "/") { var search = document.querySelector("[data-search]"); if (search) { event.preventDefault(); search.focus(); } return; }
    if (key === "a") { var ack = document.querySelector("[data-shortcut-ack]"); if (ack) { event.preventDefault(); ack.click(); } return; }
    if (key === "j" || key === "k") { moveSelection(key === "j" ? 1 : -1); event.preventDefault(); }
  });

  function moveSelection(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-row-link]"));
    if (!rows.length) return;
    var current = rows.findIndex(function (row) { return row.classList.contains("selected"); });
    var next = Math.max(0, Math.min(rows.length - 1, current + step));
    rows.forEach(function (row) { row.classList.remove("selected"); });
    rows[next].classList.add("selected");
    var link = rows[next].querySelector("a");
    if (link) link.focus();
  }

  // Copy buttons: <button data-copy="text">
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      var before = button.textContent;
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = before; }, 1500);
    });
  });
  document.querySelectorAll("[data-copy]").forEach(function (button) { button.hidden = !navigator.clipboard; });

  // Forms with unsaved input are never replaced by a live update.
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form) form.setAttribute("data-dirty", "");
  });

  // Live updates: <main data-live="/ui/events?..."> streams "changed"; the page's live regions are refetched.
  var main = document.getElementById("main");
  var source = main && main.getAttribute("data-live");
  if (!source || !window.EventSource) return;
  var status = document.createElement("p");
  status.className = "live-note";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  main.insertBefore(status, main.firstChild);
  var events = new EventSource(source);
  var refreshing = false;
  events.addEventListener("changed", function () {
    if (refreshing) return;
    refreshing = true;
    fetch(window.location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        fresh.querySelectorAll("[data-live-region]").forEach(function (region) {
          var old = document.getElementById(region.id);
          if (!old) return;
          if (old.contains(document.activeElement) && typing(document.activeElement)) return;
          if (old.querySelector("form[data-dirty]")) return;
          old.replaceWith(region);
        });
        status.textContent = "Updated " + new Date().toLocaleTimeString();
      })
      .finally(function () { refreshing = false; });
  });
})();

// Declare form: as the impact answers change, fetch the suggested severity and pre-select it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-assess]");
  if (!form || !window.fetch) return;
  var answers = form.querySelector("[data-assess-answers]");
  var level = form.querySelector("#severity");
  var timer = null;
  var asked = 0;

  function ask() {
    var query = new URLSearchParams();
    answers.querySelectorAll("input").forEach(function (input) {
      if (input.type === "checkbox") { if (input.checked) query.set(input.name, input.value); }
      else query.set(input.name, input.value);
    });
    var mine = ++asked;
    fetch(form.getAttribute("data-assess") + "?" + query.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (mine !== asked) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("assessment");
        var old = document.getElementById("assessment");
        if (!fresh || !old) return;
        // Swap the contents, not the element, so screen readers announce the live region's change.
        old.replaceChildren.apply(old, Array.prototype.slice.call(fresh.childNodes));
        var suggested = fresh.getAttribute("data-level");
        old.setAttribute("data-level", suggested || "");
        if (suggested && level) level.value = suggested;
      })
      .catch(function () { /* the Suggest severity button still works */ });
  }

  function soon() { window.clearTimeout(timer); timer = window.setTimeout(ask, 300); }
  answers.addEventListener("input", soon);
  answers.addEventListener("change", soon);
})();
