/* The case page: nothing typed is lost (issue 13 §1). Without this script every button still
   works: the upload, template and remove buttons post the whole form, and the server keeps the
   typed text as the person's unsent draft. With it: the text is saved as one types (and in
   localStorage, for a lost connection), files upload in place, templates go in at the cursor,
   and «Копировать текст» copies the approved answer. Text is only ever set with textContent. */
(function () {
  "use strict";
  var ru = (document.documentElement.lang || "ru").indexOf("en") !== 0;

  function csrf(form) {
    var el = form.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }
  function say(el, text, bad) {
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("error", !!bad);
  }
  function storeKey(form) { return "otklik:draft:" + location.pathname; }

  function post(url, form, body) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrf(form) },
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; }, function () {
        return { ok: false, data: { errors: [ru ? "Сервер не ответил." : "No answer from the server."] } };
      });
    });
  }

  function textFields(form) {
    var body = new FormData();
    ["text", "measures_taken"].forEach(function (name) {
      var el = form.querySelector("textarea[name=" + name + "]");
      if (el) body.append(name, el.value);
    });
    return body;
  }

  function setupEditor(form) {
    var editor = form.querySelector("[data-editor][data-autosave-url]");
    if (!editor || form._otklik) return;
    form._otklik = true;
    var url = editor.getAttribute("data-autosave-url");
    var status = form.querySelector("[data-autosave-status]");
    var text = form.querySelector("textarea[name=text]");
    var measures = form.querySelector("textarea[name=measures_taken]");
    var timer = null, dirty = false;

    // A copy kept in the browser, in case the connection dropped before the server had it.
    try {
      var kept = JSON.parse(localStorage.getItem(storeKey(form)) || "null");
      if (kept && text && kept.text && kept.text !== text.value && kept.saved > (Date.now() - 7 * 864e5)) {
        text.value = kept.text;
        if (measures && kept.measures) measures.value = kept.measures;
        text.dispatchEvent(new Event("input", { bubbles: true }));
        say(status, ru ? "Восстановлен текст, набранный на этом компьютере." : "Restored the text typed on this computer.");
      }
    } catch (e) { /* storage disabled */ }

    function save() {
      timer = null;
      if (!dirty) return;
      dirty = false;
      post(url, form, textFields(form)).then(function (r) {
        if (r.ok) {
          say(status, r.data.message || "");
          try { localStorage.removeItem(storeKey(form)); } catch (e) { /* */ }
        } else {
          say(status, ru ? "Не удалось сохранить черновик на сервере: он сохранён на этом компьютере." : "Draft kept on this computer only.", true);
        }
      }, function () {
        say(status, ru ? "Нет связи: черновик сохранён на этом компьютере." : "Offline: draft kept on this computer.", true);
      });
    }
    form.addEventListener("input", function (e) {
      if (!e.target.matches("textarea[name=text], textarea[name=measures_taken]")) return;
      dirty = true;
      try {
        localStorage.setItem(storeKey(form), JSON.stringify({ text: text ? text.value : "", measures: measures ? measures.value : "", saved: Date.now() }));
      } catch (err) { /* storage full or disabled */ }
      if (timer) clearTimeout(timer);
      timer = setTimeout(save, 1500);
    });
    form.addEventListener("submit", function () {
      try { localStorage.removeItem(storeKey(form)); } catch (e) { /* */ }
    });

    // Upload in place: the file goes up, its card appears, the text stays where it is.
    var upload = form.querySelector("[data-upload]");
    var input = form.querySelector("[data-upload-input]");
    var upStatus = form.querySelector("[data-upload-status]");
    if (upload && input) {
      upload.addEventListener("click", function (e) {
        e.preventDefault();
        if (!input.files || !input.files.length) {
          say(upStatus, ru ? "Выберите файл." : "Choose a file.", true);
          return;
        }
        var body = textFields(form);
        body.append("file", input.files[0]);
        upload.disabled = true;
        say(upStatus, ru ? "Загружается…" : "Uploading…");
        post(upload.getAttribute("formaction"), form, body).then(function (r) {
          upload.disabled = false;
          if (!r.ok) { say(upStatus, (r.data.errors || []).join(" "), true); return; }
          var list = form.querySelector("[data-attachment-list]");
          var tpl = document.createElement("template");
          tpl.innerHTML = r.data.html;  // our own server-rendered fragment (names escaped there)
          if (list) list.appendChild(tpl.content);
          input.value = "";
          say(upStatus, r.data.message);
        }, function () {
          upload.disabled = false;
          say(upStatus, ru ? "Нет связи: файл не загружен, текст сохранён." : "Offline: not uploaded; the text is kept.", true);
        });
      });
    }

    // «Убрать»: the file leaves the answer in place.
    form.addEventListener("click", function (e) {
      var btn = e.target.closest ? e.target.closest("[data-remove-attachment]") : null;
      if (!btn) return;
      e.preventDefault();
      post(btn.getAttribute("formaction"), form, textFields(form)).then(function (r) {
        if (!r.ok) { say(upStatus, (r.data.errors || [r.data.message || ""]).join(" "), true); return; }
        var card = btn.closest("[data-attachment]");
        if (card) card.remove();
        say(upStatus, r.data.message);
      });
    });

    // A template or an earlier answer goes in at the cursor, without leaving the page.
    var pick = form.querySelector("[data-template-select]");
    var insert = form.querySelector("[data-template-insert]");
    if (pick && insert && text) {
      insert.addEventListener("click", function (e) {
        var option = pick.options[pick.selectedIndex];
        if (!option || !option.getAttribute("data-text")) return;  // the server says «выберите»
        e.preventDefault();
        var add = option.getAttribute("data-text");
        var at = text.selectionStart || text.value.length;
        var before = text.value.slice(0, at), after = text.value.slice(at);
        var sep = before && !/\n\s*$/.test(before) ? "\n\n" : "";
        text.value = before + sep + add + after;
        text.focus();
        text.dispatchEvent(new Event("input", { bubbles: true }));
      });
    }
  }

  function setupCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (btn) {
      if (btn._otklik) return;
      btn._otklik = true;
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var src = document.querySelector(btn.getAttribute("data-copy"));
        var status = btn.parentElement.querySelector("[data-copy-status]");
        if (!src) return;
        var done = function () { say(status, ru ? "Текст скопирован." : "Copied."); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(src.value).then(done, function () { src.select(); document.execCommand("copy"); done(); });
        } else {
          src.select();
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  function init() {
    document.querySelectorAll("form[data-case-form]").forEach(setupEditor);
    setupCopy();
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
})();
