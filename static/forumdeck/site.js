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

// A new forum's pace starts at its platform's default: as the platform is chosen, each pace
// field that still holds the previous platform's default (or nothing) takes the new one's, so
// the form shows the figures that will be used; a figure the person typed stays.
(function () {
  function sync() {
    var select = document.getElementById("id_platform");
    if (!select || !select.form) { return; }
    select.form.querySelectorAll("input[data-platform-defaults]").forEach(function (input) {
      var defaults = JSON.parse(input.dataset.platformDefaults);
      var before = input.dataset.platformShown;
      var untouched = input.value === "" ||
        (before !== undefined && input.value === String(defaults[before]));
      if (untouched && defaults[select.value] !== undefined) {
        input.value = String(defaults[select.value]);
      }
      input.dataset.platformShown = select.value;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_platform") { sync(); }
  });
  document.addEventListener("DOMContentLoaded", sync);
})();
