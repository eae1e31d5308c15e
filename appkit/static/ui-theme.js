// appkit.ui: runs in <head>, before the page is drawn, so the user's theme is there from
// the first frame (a dark page never flashes light). The server writes the user's theme
// (light, dark, or system: none set, the CSS follows prefers-color-scheme) and the kit's
// density on this script's tag.
(function () {
  "use strict";
  var script = document.currentScript;
  var root = document.documentElement;
  var theme = script && script.getAttribute("data-theme");
  if (theme === "light" || theme === "dark") {
    root.setAttribute("data-theme", theme);
  }
  var density = script && script.getAttribute("data-density");
  if (density === "compact" || density === "comfortable") {
    root.setAttribute("data-density", density);
  }
})();
