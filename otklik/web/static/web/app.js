/* Otklik UI behaviour: live countdowns (in working time), the draft editor's counter and preview, department order.
   Everything works by event delegation and a global ticker, so it survives htmx swaps; without
   this script the pages still work (server-rendered countdowns, plain forms). Network text is
   only ever set with textContent, never as HTML. */
(function () {
  "use strict";
  var ru = (document.documentElement.lang || "ru").indexOf("en") !== 0;

  // Countdowns count *working* time (otklik/sla/clock.py): the server renders the working
  // seconds left at its "now" (data-left, data-at) and, while the clock runs, the instant it
  // stops (data-until: lunch, the close of the day). The tick takes off the working time that has
  // passed since — none at night, at lunch or on a day off; the periodic refresh of the page
  // brings the next working interval. The words repeat otklik/sla/display.py.
  function working(sec) {
    var m = Math.floor(Math.abs(sec) / 60), h = Math.floor(m / 60);
    m = m % 60;
    if (h && m) return ru ? h + " раб. ч " + m + " мин" : h + " working h " + m + " min";
    if (h) return ru ? h + " раб. ч" : h + " working h";
    if (m) return ru ? m + " раб. мин" : m + " working min";
    return ru ? "< 1 раб. мин" : "< 1 working min";
  }

  function tick() {
    var clock = window.performance ? performance.now() : Date.now();
    document.querySelectorAll("[data-countdown][data-left]").forEach(function (el) {
      var left0 = parseInt(el.getAttribute("data-left"), 10), at = Date.parse(el.getAttribute("data-at"));
      var due = Date.parse(el.getAttribute("data-due")), until = Date.parse(el.getAttribute("data-until") || "");
      if (isNaN(left0) || isNaN(at) || isNaN(due)) return;
      // Time is the server's: its "now" at rendering plus what has passed here since (a monotonic
      // clock), so a computer whose clock is wrong still counts right.
      if (el._seen === undefined) el._seen = clock;
      var now = at + (clock - el._seen);
      var passed = isNaN(until) ? 0 : Math.max(0, Math.min(now, until) - at);
      var left = left0 - Math.round(passed / 1000), overdue = now >= due;
      var text = el.querySelector("[data-left-text]");
      if (text) {
        if (!overdue) text.textContent = (ru ? "осталось " : "") + working(left) + (ru ? "" : " left");
        else if (left <= -60) text.textContent = (ru ? "просрочено на " : "overdue by ") + working(left);
        else text.textContent = ru ? "срок истёк" : "deadline passed";
      }
      var limit = parseInt(el.getAttribute("data-limit") || "", 10), level = "green";
      if (overdue) level = "overdue";
      else if (limit > 0) level = left / limit < 0.25 ? "red" : left / limit < 0.5 ? "amber" : "green";
      ["green", "amber", "red", "overdue"].forEach(function (l) { el.classList.toggle("lvl-" + l, l === level); });
      if (!isNaN(until)) el.classList.toggle("paused", now >= until && !overdue);  // lunch or the close came
    });
  }

  function updateEditor(textarea) {
    var box = textarea.closest("[data-editor]");
    if (!box) return;
    var max = parseInt(textarea.getAttribute("data-maxlen"), 10) || 0;
    var len = textarea.value.length;
    var counter = box.querySelector("[data-counter]");
    if (counter) {
      counter.textContent = len + " / " + max;
      counter.classList.toggle("over", max > 0 && len > max);
    }
    var preview = box.querySelector("[data-preview]");
    if (preview) preview.textContent = textarea.value;  // text only: never innerHTML
  }

  document.addEventListener("input", function (e) {
    var t = e.target;
    if (t && t.matches && t.matches("[data-editor] textarea[data-maxlen]")) updateEditor(t);
  });

  // Department order (П.16): a checked department gets the next number; unchecking clears it.
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!t || !t.matches || !t.matches("[data-route] input[type=checkbox][name=departments]")) return;
    var box = t.closest("[data-route]");
    var order = box.querySelector("input[name=order_" + t.value + "]");
    if (!order) return;
    if (t.checked && !order.value) {
      var max = 0;
      box.querySelectorAll("input.order").forEach(function (o) { max = Math.max(max, parseInt(o.value, 10) || 0); });
      order.value = String(max + 1);
    } else if (!t.checked) {
      order.value = "";
    }
  });

  // A <select data-autosubmit> (the language switch) submits its form on change: no inline handler,
  // the Content-Security-Policy allows scripts only from our static files.
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t && t.matches && t.matches("select[data-autosubmit]") && t.form) t.form.submit();
  });

  function init() {
    document.querySelectorAll("[data-editor] textarea[data-maxlen]").forEach(updateEditor);
    tick();
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
  setInterval(tick, 1000);
})();
