// Remember the browser's time zone so the server renders times in it.
(function () {
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && document.cookie.indexOf("forumdeck_tz=" + tz) === -1) {
      document.cookie = "forumdeck_tz=" + tz + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* older browsers: times stay in the server's zone */ }
})();

// A form with data-confirm asks first (instead of an inline onsubmit, which the
// Content-Security-Policy refuses).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// A destructive form's red button (data-needs-phrase) stays disabled until the field with
// data-confirm-phrase holds exactly that phrase. Without JavaScript the button is enabled and
// the server checks the same phrase.
(function () {
  function sync(input) {
    var form = input.form;
    if (!form) { return; }
    var typed = input.value === input.getAttribute("data-confirm-phrase");
    form.querySelectorAll("[data-needs-phrase]").forEach(function (button) {
      button.disabled = !typed;
    });
  }
  function init(root) {
    if (root && root.querySelectorAll) {
      root.querySelectorAll("[data-confirm-phrase]").forEach(sync);
    }
  }
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("[data-confirm-phrase]")) { sync(el); }
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
  // htmx re-enables what hx-disabled-elt disabled once a request ends: keep the rule.
  document.addEventListener("htmx:afterRequest", function () { init(document); });
})();

// The bulk form shows only the details the chosen action needs; without JavaScript every
// fieldset shows (and the server reads only the chosen one).
(function () {
  function sync() {
    var select = document.getElementById("id_kind");
    if (!select) { return; }
    document.querySelectorAll(".kind-params").forEach(function (fieldset) {
      var on = fieldset.dataset.kinds.split(" ").indexOf(select.value) !== -1;
      fieldset.hidden = !on;
      fieldset.querySelectorAll("input, textarea, select").forEach(function (el) {
        el.disabled = !on;
      });
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_kind") { sync(); }
  });
  document.addEventListener("DOMContentLoaded", sync);
})();

// The connection form shows only what the chosen software needs: its own settings
// (fieldsets) and its lines of help ([data-platform]); without JavaScript everything shows
// and the server reads only the chosen platform's settings.
(function () {
  function sync() {
    var select = document.getElementById("id_platform");
    if (!select || !select.form) { return; }
    select.form.querySelectorAll("[data-platform]").forEach(function (el) {
      var on = el.dataset.platform === select.value;
      el.hidden = !on;
      if (el.tagName === "FIELDSET") { el.disabled = !on; }
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_platform") { sync(); }
  });
  document.addEventListener("DOMContentLoaded", sync);
})();

// Group sync: the source group's own forum is no target. The server leaves it out once it
// knows the source; when another source is chosen here, its forum's box and group list hide.
(function () {
  function sync() {
    var source = document.getElementById("id_source");
    if (!source || !source.form || !source.form.classList.contains("sync-form")) { return; }
    var forum = source.value.split(":")[0];
    source.form.querySelectorAll("input[name=targets]").forEach(function (box) {
      var own = box.value === forum;
      if (own) { box.checked = false; }
      var row = box.closest("label") ? box.closest("label").parentElement : box;
      row.hidden = own;
    });
    source.form.querySelectorAll("[data-sync-forum]").forEach(function (select) {
      var row = select.closest(".form-row");
      if (row) { row.hidden = select.getAttribute("data-sync-forum") === forum; }
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_source") { sync(); }
  });
  document.addEventListener("DOMContentLoaded", sync);
})();

// A form fetched into the person page's panel (Suspend, Delete...) takes the focus: its first
// field, so a keyboard user who pressed Enter on the button types straight on.
document.addEventListener("htmx:load", function (event) {
  var panel = event.target;
  if (!panel || panel.id !== "moderation-panel") { return; }
  var field = panel.querySelector(
    "form input:not([type=hidden]):not([disabled]), form select:not([disabled]), form textarea:not([disabled])"
  );
  if (field) {
    field.focus();
  } else if (panel.querySelector("[role=status]")) {
    // The outcome: read out, and the focus stays in the panel instead of falling to <body>.
    panel.setAttribute("tabindex", "-1");
    panel.focus();
  }
});
