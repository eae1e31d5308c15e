// appkit jobs dashboard: a box marked data-follow-end (a run's log) keeps showing its end
// as text is added to it (over the live socket or server-sent events), unless the reader
// scrolled up; scrolling back to the end follows it again. No inline script, no eval: the
// dashboard runs under a Content-Security-Policy of script-src 'self'.
(function () {
  "use strict";
  var NEAR = 40; // pixels from the end that still count as "at the end"

  function watch(el) {
    if (el.appkitFollow) return;
    // The box's height before the text was added: whether the reader was at its end is
    // told by where they are now against it (scrollTop follows the reader at once).
    var state = el.appkitFollow = { height: el.scrollHeight };
    new MutationObserver(function () {
      if (el.scrollTop + el.clientHeight > state.height - NEAR) {
        el.scrollTop = el.scrollHeight;
      }
      state.height = el.scrollHeight;
    }).observe(el, { childList: true, characterData: true, subtree: true });
  }

  function scan(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-follow-end]")) watch(scope);
    scope.querySelectorAll("[data-follow-end]").forEach(watch);
  }

  document.addEventListener("htmx:load", function (event) { scan(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
})();
