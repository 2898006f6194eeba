/* Otklik UI behaviour: live countdowns, the draft editor's counter and preview, department order.
   Everything works by event delegation and a global ticker, so it survives htmx swaps; without
   this script the pages still work (server-rendered countdowns, plain forms). Network text is
   only ever set with textContent, never as HTML. */
(function () {
  "use strict";
  var ru = (document.documentElement.lang || "ru").indexOf("en") !== 0;

  function duration(sec) {
    var d = Math.floor(sec / 86400), h = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
    var parts = [];
    if (d) parts.push(d + (ru ? " д" : " d"));
    if (h) parts.push(h + (ru ? " ч" : " h"));
    if (!d) parts.push(m + (ru ? " мин" : " min"));
    if (!d && !h && m < 5) parts.push(s + (ru ? " с" : " s"));
    return parts.join(" ");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var left = Math.round((due - now) / 1000);
      el.textContent = left >= 0
        ? (ru ? "осталось " : "left ") + duration(left)
        : (ru ? "просрочено на " : "overdue by ") + duration(-left);
      var startAttr = el.getAttribute("data-start");
      if (startAttr) {
        var start = Date.parse(startAttr), level = "green";
        if (left < 0) level = "overdue";
        else if (!isNaN(start) && due > start) {
          var share = (due - now) / (due - start);
          level = share < 0.25 ? "red" : share < 0.5 ? "amber" : "green";
        }
        el.classList.remove("lvl-green", "lvl-amber", "lvl-red", "lvl-overdue");
        if (!el.closest(".lvl")) el.classList.add("lvl-" + level);
      }
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
