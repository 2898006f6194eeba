/* The bell: its count kept live, and browser notifications for people who turn them on.
   Opt-in only: nothing is asked until the person presses «Включить уведомления в браузере»
   (a button with data-browser-notify, on the notification channels page), which asks the
   browser's permission; the choice is kept in this browser (localStorage). A static file: the
   Content-Security-Policy allows no inline script. Titles are set as text, never as HTML. */
(function () {
  "use strict";
  var KEY = "otklik.browserNotify", SEEN = "otklik.browserNotifySeen", PERIOD = 60000;

  function supported() { return "Notification" in window; }
  function enabled() {
    try { return supported() && Notification.permission === "granted" && localStorage.getItem(KEY) === "1"; }
    catch (e) { return false; }
  }

  function setCount(bell, n) {
    var badge = bell.querySelector(".count");
    if (n > 0) {
      if (!badge) { badge = document.createElement("span"); badge.className = "count"; badge.setAttribute("data-testid", "bell-count"); bell.appendChild(badge); }
      badge.textContent = String(n);
    } else if (badge) {
      badge.parentNode.removeChild(badge);
    }
  }

  function poll() {
    var bell = document.querySelector("[data-notify-poll]");
    if (!bell || document.hidden) return;
    fetch(bell.getAttribute("data-notify-poll"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        setCount(bell, data.unread || 0);
        if (!enabled()) return;
        var seen = parseInt(localStorage.getItem(SEEN) || "0", 10) || 0, top = seen;
        (data.latest || []).slice().reverse().forEach(function (item) {
          if (item.id <= seen) return;
          top = Math.max(top, item.id);
          if (!seen) return;  // the first poll only remembers where we are: no burst of old news
          var n = new Notification(item.title, { tag: "otklik-" + item.id, requireInteraction: !!item.urgent });
          n.onclick = function () { window.focus(); window.location.href = item.url; n.close(); };
        });
        localStorage.setItem(SEEN, String(top || seen || 1));
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  function render(button) {
    var state = button.parentNode.querySelector("[data-browser-notify-state]");
    var text = "";
    if (!supported()) text = button.getAttribute("data-unsupported");
    else if (Notification.permission === "denied") text = button.getAttribute("data-denied");
    else if (enabled()) text = button.getAttribute("data-on");
    if (state) state.textContent = text || "";
    button.textContent = enabled() ? button.getAttribute("data-label-off") : button.getAttribute("data-label-on");
    button.disabled = !supported() || Notification.permission === "denied";
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-browser-notify]");
    if (!button) return;
    e.preventDefault();
    if (enabled()) { localStorage.setItem(KEY, "0"); render(button); return; }
    Notification.requestPermission().then(function (permission) {
      if (permission === "granted") { localStorage.setItem(KEY, "1"); localStorage.removeItem(SEEN); poll(); }
      render(button);
    });
  });

  function init() {
    document.querySelectorAll("[data-browser-notify]").forEach(function (b) { b.hidden = false; render(b); });
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
  setInterval(poll, PERIOD);
})();
