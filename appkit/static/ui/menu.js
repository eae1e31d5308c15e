// The window's menu (appkit/ui/menus.py) in the page: what a chosen item does, and its
// keyboard shortcut.
//
// The shell sends a chosen item's action as a "shell:menu" event on document; a key that
// matches an item's shortcut does the same. {navigate: url} loads the page; {post: url}
// posts to the route with htmx (with the CSRF token, as every htmx request of the app) and
// applies only what the answer sends out of band (toasts, hx-swap-oob, HX-Redirect).
// The menu bar's data is in <script type="application/json" id="appkit-menu">.
(function () {
  "use strict";
  if (window.appkitMenu) return;

  function perform(action) {
    if (!action || typeof action !== "object") return;
    if (typeof action.navigate === "string") {
      window.location.assign(action.navigate);
    } else if (typeof action.post === "string" && window.htmx) {
      window.htmx.ajax("POST", action.post, { source: document.body, swap: "none" });
    }
  }

  function shortcuts() {
    var holder = document.getElementById("appkit-menu");
    var found = {};
    if (!holder) return found;
    var menus;
    try { menus = JSON.parse(holder.textContent); } catch (e) { return found; }
    (function walk(entries) {
      (entries || []).forEach(function (entry) {
        if (entry.items) walk(entry.items);
        else if (entry.action && entry.action.shortcut) found[entry.action.shortcut] = entry.action;
      });
    })(menus);
    return found;
  }

  function pressed(event) {
    var key = event.key;
    if (/^Key[A-Z]$/.test(event.code)) key = event.code.slice(3);
    else if (/^Digit[0-9]$/.test(event.code)) key = event.code.slice(5);
    else if (key === " ") key = "Space";
    else if (key.length === 1) key = key.toUpperCase();
    // A sign typed with Shift ("+" on most keyboards) is written without it: "Ctrl++".
    var sign = key.length === 1 && !/[A-Z0-9]/.test(key);
    var parts = [];
    if (event.ctrlKey) parts.push("Ctrl");
    if (event.altKey) parts.push("Alt");
    if (event.shiftKey && !sign) parts.push("Shift");
    if (event.metaKey) parts.push("Meta");
    parts.push(key);
    return parts.join("+");
  }

  document.addEventListener("shell:menu", function (event) { perform(event.detail); });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.repeat) return;
    if (["Control", "Shift", "Alt", "Meta"].indexOf(event.key) >= 0) return;
    var action = shortcuts()[pressed(event)];
    if (!action) return;
    event.preventDefault();
    perform(action);
  });

  window.appkitMenu = { perform: perform };
})();
