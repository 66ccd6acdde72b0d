// Streamed pages (forums/web/streaming.py): each <template data-fill="id"> that arrives is
// moved into the element with that id as soon as the browser has parsed it whole. Loaded
// without defer, so it watches the page while it is still arriving.
(function () {
  function apply(template) {
    var target = document.getElementById(template.getAttribute("data-fill"));
    if (target) {
      var content = template.content.cloneNode(true);
      if (template.getAttribute("data-swap") === "outer") {
        var parent = target.parentNode;
        target.replaceWith(content);
        target = parent;
      } else {
        target.replaceChildren(content);
      }
      if (window.htmx && target) { window.htmx.process(target); }
      document.dispatchEvent(new CustomEvent("forumdeck:filled", { detail: { target: target } }));
    }
    template.remove();
  }
  // A template is whole once the parser has put something after it (every fill ends with a
  // newline); at the end of the page, every one left is whole.
  function sweep(all) {
    document.querySelectorAll("template[data-fill]").forEach(function (template) {
      if (all || template.nextSibling) { apply(template); }
    });
  }
  new MutationObserver(function () { sweep(false); })
    .observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", function () { sweep(true); });
})();
