/* The curator's work queue: keyboard shortcuts (j/k, Enter, x, d, r, a, c, n, /, ?), «отметить все»
   and the selected count. Everything also works without this script: rows are links, the bulk bar
   is a plain form, the shortcuts are listed in a <details>. Loaded as a static file (strict CSP). */
(function () {
  "use strict";

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-queue] tr[data-row]")); }
  function current() { return document.querySelector("[data-queue] tr[data-row].current"); }

  function move(step) {
    var list = rows();
    if (!list.length) return;
    var at = list.indexOf(current());
    var next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step));
    list.forEach(function (r) { r.classList.remove("current"); });
    list[next].classList.add("current");
    list[next].scrollIntoView({ block: "nearest" });
  }

  function toggle(row) {
    var box = row && row.querySelector("input[type=checkbox][name=messages]");
    if (box) { box.checked = !box.checked; count(); }
  }

  function count() {
    var label = document.querySelector("[data-selected-count]");
    if (!label) return;
    var n = document.querySelectorAll("[data-queue] input[name=messages]:checked").length;
    if (label._base === undefined) label._base = label.textContent;
    label.textContent = label._base + (n ? " " + n : "");
  }

  // A bulk action from the keyboard: the ticked rows, or the current one; then the reason field.
  function bulk(action) {
    var form = document.getElementById("bulk");
    if (!form) return false;
    if (!document.querySelector("[data-queue] input[name=messages]:checked")) toggle(current());
    form.querySelector("select[name=action]").value = action;
    var field = form.querySelector(action === "attach" ? "input[name=case_number]" : "input[name=reason]");
    if (field) field.focus();
    return true;
  }

  // On a message page each decision form has data-key-form="<key>": the key focuses its first field.
  function focusForm(key) {
    var form = document.querySelector("form[data-key-form='" + key + "']");
    if (!form) return false;
    form.scrollIntoView({ block: "center" });
    var field = form.querySelector("input:not([type=hidden]):not([type=checkbox]), textarea, select, button[type=submit]");
    if (field) field.focus();
    return true;
  }

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape" && typing(document.activeElement)) { document.activeElement.blur(); return; }
    if (typing(e.target)) return;
    var done = true, row = current();
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter":
        if (row) window.location.href = row.getAttribute("data-href"); else done = false;
        break;
      case "x": toggle(row); break;
      case "d": done = bulk("dismiss") || focusForm("d"); break;
      case "r": done = bulk("refuse") || focusForm("r"); break;
      case "a": done = bulk("attach") || focusForm("a"); break;
      case "c": done = focusForm("c"); break;
      case "n":
        var next = document.querySelector("[data-key-next]");
        if (next) window.location.href = next.getAttribute("href"); else done = false;
        break;
      case "/":
        var search = document.querySelector("[data-key-search]");
        if (search) search.focus(); else done = false;
        break;
      case "?":
        var help = document.querySelector("[data-kbd-help]");
        if (help) help.open = !help.open; else done = false;
        break;
      default: done = false;
    }
    if (done) e.preventDefault();
  });

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!t || !t.matches) return;
    if (t.matches("[data-check-all]")) {
      document.querySelectorAll("[data-queue] input[name=messages]").forEach(function (b) { b.checked = t.checked; });
      count();
    } else if (t.matches("[data-queue] input[name=messages]")) {
      count();
    }
  });

  // A click on a row (not on its checkbox, link or button) makes it the current one.
  document.addEventListener("click", function (e) {
    var row = e.target.closest && e.target.closest("[data-queue] tr[data-row]");
    if (!row) return;
    rows().forEach(function (r) { r.classList.toggle("current", r === row); });
  });
})();
