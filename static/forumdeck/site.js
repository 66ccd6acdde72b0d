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
