// appkit.ui's page script (docs/ui.md): tabs, dropdown menus, dialogs, toolbars and the
// theme toggle, all in the page (no request), all from the keyboard. It listens on the
// document, so parts that htmx or the live layer put in the page later work too.
(function () {
  "use strict";

  function closest(target, selector) {
    return target && target.closest ? target.closest(selector) : null;
  }

  // ---- tabs: click, or the arrow keys, Home and End on the tab list --------------------

  function selectTab(tab, focus) {
    var list = closest(tab, "[role=tablist]");
    if (!list) return;
    var tabs = list.querySelectorAll("[role=tab]");
    for (var i = 0; i < tabs.length; i++) {
      var on = tabs[i] === tab;
      tabs[i].setAttribute("aria-selected", on ? "true" : "false");
      tabs[i].setAttribute("tabindex", on ? "0" : "-1");
      var panel = document.getElementById(tabs[i].getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    }
    if (focus) tab.focus();
  }

  function tabKey(event, tab) {
    var list = closest(tab, "[role=tablist]");
    var tabs = Array.prototype.slice.call(list.querySelectorAll("[role=tab]"));
    var at = tabs.indexOf(tab);
    var to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    selectTab(tabs[(to + tabs.length) % tabs.length], true);
  }

  // ---- dropdown menus ------------------------------------------------------------------

  function menuOf(button) {
    var menu = button.nextElementSibling;
    return menu && menu.getAttribute("role") === "menu" ? menu : null;
  }

  function items(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]:not([disabled])"));
  }

  function openMenu(button, which) {
    var menu = menuOf(button);
    if (!menu) return;
    closeMenus(null);
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    var all = items(menu);
    if (all.length) all[which === "last" ? all.length - 1 : 0].focus();
  }

  function closeMenu(menu, refocus) {
    if (menu.hidden) return;
    menu.hidden = true;
    var button = menu.previousElementSibling;
    if (button) {
      button.setAttribute("aria-expanded", "false");
      if (refocus) button.focus();
    }
  }

  // Close every open menu but ``keep``.
  function closeMenus(keep) {
    var open = document.querySelectorAll(".appkit-menu:not([hidden])");
    for (var i = 0; i < open.length; i++) {
      if (open[i] !== keep) closeMenu(open[i], false);
    }
  }

  function menuKey(event, menu) {
    var all = items(menu);
    var at = all.indexOf(document.activeElement);
    var to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: all.length - 1 }[event.key];
    if (to !== undefined) {
      event.preventDefault();
      if (all.length) all[(to + all.length) % all.length].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closeMenu(menu, true);
    } else if (event.key === "Tab") {
      closeMenu(menu, false);
    } else if (event.key === " " && document.activeElement.tagName === "A") {
      event.preventDefault();
      document.activeElement.click();
    }
  }

  // ---- dialogs -------------------------------------------------------------------------

  var openers = new WeakMap();

  function openDialog(button) {
    var dialog = document.getElementById(button.getAttribute("data-appkit-open"));
    if (!dialog || dialog.tagName !== "DIALOG" || dialog.open) return;
    openers.set(dialog, button);
    dialog.showModal();
    // The first control of its body (not the x in its corner), else the first button.
    var first = dialog.querySelector(
      ".appkit-dialog-body :is(input, select, textarea, button, a[href], [tabindex]):not([disabled]):not([tabindex='-1'])"
    ) || dialog.querySelector("footer button");
    if (first) first.focus();
  }

  var FOCUSABLE = "button:not([disabled]), a[href], input:not([disabled]):not([type=hidden]), " +
    "select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

  // Tab and Shift+Tab go round an open dialog's controls, never out to the page behind
  // or the browser (a modal <dialog> alone lets focus leave at its ends).
  function trapTab(event, dialog) {
    var all = Array.prototype.slice.call(dialog.querySelectorAll(FOCUSABLE))
      .filter(function (el) { return el.getClientRects().length > 0; });
    if (!all.length) return;
    var first = all[0];
    var last = all[all.length - 1];
    var active = document.activeElement;
    if (event.shiftKey && (active === first || !dialog.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  }

  document.addEventListener("close", function (event) {
    var dialog = event.target;
    var opener = dialog && openers.get(dialog);
    if (opener && opener.isConnected) opener.focus();
  }, true);

  // A form (or button) marked data-appkit-close-on-success closes its dialog once its htmx
  // request succeeded; after an error answer the dialog stays, with what was typed.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!event.detail.successful || !elt || !elt.closest) return;
    var marked = elt.closest("[data-appkit-close-on-success]");
    var dialog = marked && marked.closest("dialog[open]");
    if (dialog) dialog.close();
  });

  // ---- toolbars: the arrow keys move between their buttons -----------------------------

  function toolbarKey(event, bar) {
    var step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    var all = Array.prototype.slice.call(
      bar.querySelectorAll("button:not([disabled]), a[href]")).filter(function (el) {
        return !closest(el, "[role=menu]");
      });
    var at = all.indexOf(document.activeElement);
    if (at < 0) return;
    event.preventDefault();
    all[(at + step + all.length) % all.length].focus();
  }

  // ---- the theme -----------------------------------------------------------------------

  function config() {
    var meta = document.querySelector('meta[name="appkit-ui"]');
    try {
      return meta ? JSON.parse(meta.getAttribute("content")) : {};
    } catch (e) {
      return {};
    }
  }

  function systemDark() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  function shownTheme() {
    var set = document.documentElement.getAttribute("data-theme");
    return set === "light" || set === "dark" ? set : (systemDark() ? "dark" : "light");
  }

  function markToggles() {
    var dark = shownTheme() === "dark";
    var toggles = document.querySelectorAll('[data-appkit-theme="toggle"]');
    for (var i = 0; i < toggles.length; i++) {
      toggles[i].setAttribute("aria-pressed", dark ? "true" : "false");
    }
  }

  // Show ``theme`` now, and ask the server to remember it (a cookie) for the next pages.
  function setTheme(theme) {
    if (theme === "toggle") theme = shownTheme() === "dark" ? "light" : "dark";
    if (theme !== "light" && theme !== "dark" && theme !== "system") return;
    if (theme === "system") {
      document.documentElement.removeAttribute("data-theme");
    } else {
      document.documentElement.setAttribute("data-theme", theme);
    }
    markToggles();
    var url = config().url;
    if (!url) return;
    var body = new FormData();
    body.set("theme", theme);
    var headers = {};
    var token = window.appkit && window.appkit.csrfToken && window.appkit.csrfToken();
    if (token) headers["X-CSRF-Token"] = token;
    fetch(url, { method: "POST", body: body, headers: headers, credentials: "same-origin" })
      .then(function (answer) {
        if (!answer.ok && window.appkit) {
          window.appkit.notify("The theme could not be saved (" + answer.status + ").");
        }
      }, function () {
        if (window.appkit) window.appkit.notify("The theme could not be saved.");
      });
  }

  if (window.matchMedia) {
    var query = window.matchMedia("(prefers-color-scheme: dark)");
    if (query.addEventListener) query.addEventListener("change", markToggles);
  }

  // ---- one listener each ---------------------------------------------------------------

  document.addEventListener("click", function (event) {
    var target = event.target;
    var tab = closest(target, ".appkit-tab-list [role=tab]");
    if (tab) {
      selectTab(tab, false);
      return;
    }
    var menuButton = closest(target, "[aria-haspopup=menu]");
    if (menuButton && menuOf(menuButton)) {
      var menu = menuOf(menuButton);
      if (menu.hidden) {
        openMenu(menuButton, "first");
      } else {
        closeMenu(menu, true);
      }
      return;
    }
    var item = closest(target, ".appkit-menu [role=menuitem]");
    if (item) {
      closeMenu(closest(item, "[role=menu]"), true);
    } else {
      closeMenus(null);  // a click elsewhere closes the open menu
    }
    var opener = closest(target, "[data-appkit-open]");
    if (opener) {
      openDialog(opener);
      return;
    }
    var closer = closest(target, "[data-appkit-close]");
    if (closer) {
      var dialog = closest(closer, "dialog");
      if (dialog) dialog.close();
      return;
    }
    var theme = closest(target, "[data-appkit-theme]");
    if (theme) setTheme(theme.getAttribute("data-appkit-theme"));
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Tab") {
      // The dialog focus is in, else the one opened last (a confirmation asked from a
      // dialog is above it, and later in the page).
      var open = document.querySelectorAll("dialog.appkit-dialog[open]");
      var modal = closest(document.activeElement, "dialog.appkit-dialog[open]") ||
        open[open.length - 1];
      if (modal) trapTab(event, modal);
    }
    var tab = closest(target, ".appkit-tab-list [role=tab]");
    if (tab) {
      tabKey(event, tab);
      return;
    }
    var menu = closest(target, ".appkit-menu");
    if (menu) {
      menuKey(event, menu);
      return;
    }
    var menuButton = closest(target, "[aria-haspopup=menu]");
    if (menuButton && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      openMenu(menuButton, event.key === "ArrowUp" ? "last" : "first");
      return;
    }
    var bar = closest(target, "[role=toolbar]");
    if (bar) toolbarKey(event, bar);
  });

  // Focus leaving an open menu (Tab, a click in another window) closes it.
  document.addEventListener("focusin", function (event) {
    var inMenu = closest(event.target, ".appkit-dropdown");
    var open = document.querySelectorAll(".appkit-menu:not([hidden])");
    for (var i = 0; i < open.length; i++) {
      if (!inMenu || !inMenu.contains(open[i])) closeMenu(open[i], false);
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", markToggles);
  } else {
    markToggles();
  }
})();
