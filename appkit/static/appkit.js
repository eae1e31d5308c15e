// appkit's page script:
// - shows errors from htmx requests instead of dropping them. htmx does not swap 4xx/5xx
//   answers; appkit's error fragment (or a plain message when the server could not be
//   reached) is shown in a dismissible notice at the top of the page;
// - sends the session's CSRF token (from <meta name="csrf-token">) with every htmx request
//   to the app (X-CSRF-Token header), with every plain form POST (appkit-csrf field) and
//   with the htmx ws extension's websocket handshakes (appkit-csrf query parameter);
// - shows toasts: a close button removes one, and each hides itself after a few seconds;
// - asks hx-confirm's question in a dialog of the page (OK / Cancel), not the browser's own
//   confirm(), which a native window titles with the app's loopback address; it is titled
//   "Confirm", or by a data-confirm-title attribute on the element or an ancestor.
(function () {
  "use strict";

  var CSRF_HEADER = "X-CSRF-Token";
  var CSRF_FIELD = "appkit-csrf";
  // Milliseconds a toast stays; an error stays longer, so there is time to read it.
  var TOAST_MS = { info: 5000, success: 5000, warning: 8000, error: 15000 };

  // ---- error notices -------------------------------------------------------------------

  function notices() {
    var box = document.getElementById("appkit-notices");
    if (!box) {
      box = document.createElement("div");
      box.id = "appkit-notices";
      box.setAttribute("aria-live", "assertive");
      document.body.appendChild(box);
    }
    return box;
  }

  function show(html, text) {
    var note = document.createElement("div");
    note.className = "appkit-notice";
    note.setAttribute("role", "alert");
    if (html) {
      note.innerHTML = html;
    } else {
      note.textContent = text;
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "appkit-notice-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "\u00d7";
    close.addEventListener("click", function () { note.remove(); });
    note.prepend(close);
    notices().appendChild(note);
  }

  // 422: a form with errors (appkit.app.forms) answers itself again, every error by its
  // field: htmx swaps it like a success, and shows no notice.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var body = xhr.responseText || "";
    if (body.indexOf("appkit-error") !== -1) {
      show(body);
    } else {
      show(null, "The app answered " + xhr.status + " " + (xhr.statusText || "") + ".");
    }
  });

  document.addEventListener("htmx:sendError", function () {
    show(null, "The app could not be reached. Is it still running?");
  });

  // ---- CSRF ----------------------------------------------------------------------------

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : null;
  }

  // The token goes to this app only, never to another site a page might call.
  function sameOrigin(url) {
    try {
      return new URL(url, document.baseURI).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token && sameOrigin(event.detail.path)) {
      event.detail.headers[CSRF_HEADER] = token;
    }
  });

  function formTarget(form, submitter) {
    var method = form.getAttribute("method") || "get";
    var action = form.action;
    if (submitter && submitter.hasAttribute("formmethod")) {
      method = submitter.getAttribute("formmethod");
    }
    if (submitter && submitter.hasAttribute("formaction")) {
      action = submitter.formAction;
    }
    return { post: method.toLowerCase() === "post", action: action };
  }

  // A plain form POST carries the token as a hidden field, added as it is submitted.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var token = csrfToken();
    if (!token || !(form instanceof HTMLFormElement)) {
      return;
    }
    var target = formTarget(form, event.submitter);
    if (!target.post || !sameOrigin(target.action)) {
      return;
    }
    var field = form.querySelector('input[name="' + CSRF_FIELD + '"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = CSRF_FIELD;
      form.appendChild(field);
    }
    field.value = token;
  }, true);

  // form.submit() from a script sends no submit event: add the token as the data is built.
  document.addEventListener("formdata", function (event) {
    var form = event.target;
    var token = csrfToken();
    if (!token || !(form instanceof HTMLFormElement) || event.formData.has(CSRF_FIELD)) {
      return;
    }
    var target = formTarget(form, null);
    if (target.post && sameOrigin(target.action)) {
      event.formData.set(CSRF_FIELD, token);
    }
  });

  // ---- confirmations --------------------------------------------------------------------

  var confirmCount = 0;

  // Ask ``question`` in a modal <dialog>; ``answer(true)`` on OK, ``answer(false)`` on
  // Cancel, Escape or a close. Keyboard: focus starts on OK, Tab moves between the two
  // buttons (the dialog is modal), Enter or Space presses one, Escape cancels. It is built
  // as appkit.ui's Dialog is (the same classes), so with the UI kit both look the same.
  function ask(question, answer, title) {
    var id = "appkit-confirm-" + (++confirmCount);
    var dialog = document.createElement("dialog");
    dialog.className = "appkit-dialog appkit-confirm";
    dialog.setAttribute("aria-labelledby", id);
    var article = document.createElement("article");
    var header = document.createElement("header");
    var heading = document.createElement("h2");
    heading.className = "appkit-dialog-title";
    heading.textContent = title || "Confirm";
    header.appendChild(heading);
    var text = document.createElement("p");
    text.id = id;
    text.className = "appkit-confirm-question";
    text.textContent = question;
    var buttons = document.createElement("footer");
    buttons.className = "appkit-dialog-buttons appkit-confirm-buttons";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary appkit-confirm-cancel";
    cancel.textContent = "Cancel";
    var ok = document.createElement("button");
    ok.type = "button";
    ok.className = "appkit-confirm-ok";
    ok.textContent = "OK";
    buttons.append(cancel, ok);
    article.append(header, text, buttons);
    dialog.appendChild(article);
    var result = false;
    var returnFocus = document.activeElement;
    ok.addEventListener("click", function () { result = true; dialog.close(); });
    cancel.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      dialog.remove();
      if (returnFocus && returnFocus.isConnected && returnFocus.focus) {
        returnFocus.focus();
      }
      answer(result);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    ok.focus();
  }

  document.addEventListener("htmx:confirm", function (event) {
    var question = event.detail.question;
    if (!question) {
      return;  // no hx-confirm on the element: htmx goes on by itself
    }
    event.preventDefault();
    // data-confirm-title on the element (or an ancestor) titles the dialog.
    var titled = event.detail.elt && event.detail.elt.closest
      ? event.detail.elt.closest("[data-confirm-title]") : null;
    ask(question, function (confirmed) {
      if (confirmed) {
        event.detail.issueRequest(true);  // true: do not ask again with confirm()
      }
    }, titled ? titled.getAttribute("data-confirm-title") : null);
  });

  // ---- toasts --------------------------------------------------------------------------

  function toastRegion() {
    var region = document.getElementById("appkit-toasts");
    if (!region && document.body) {
      // htmx answers append their toasts here (an out-of-band swap); a page that had
      // none when it was rendered gets the empty container now.
      region = document.createElement("div");
      region.id = "appkit-toasts";
      region.className = "appkit-toasts";
      document.body.appendChild(region);
    }
    return region;
  }

  function dismiss(toast) {
    if (toast.classList.contains("appkit-toast-leaving")) {
      return;
    }
    toast.classList.add("appkit-toast-leaving");
    window.setTimeout(function () { toast.remove(); }, 200);
  }

  function arm(toast) {
    if (toast.hasAttribute("data-appkit-armed")) {
      return;
    }
    toast.setAttribute("data-appkit-armed", "");
    var wait = TOAST_MS[toast.getAttribute("data-kind")] || TOAST_MS.info;
    var hide = function () {
      // Not while the pointer is on it or it has focus: the user is reading it.
      if (toast.matches(":hover, :focus-within")) {
        window.setTimeout(hide, 1000);
      } else {
        dismiss(toast);
      }
    };
    window.setTimeout(hide, wait);
  }

  function armAll() {
    var toasts = document.querySelectorAll(".appkit-toast");
    for (var i = 0; i < toasts.length; i++) {
      arm(toasts[i]);
    }
  }

  document.addEventListener("click", function (event) {
    var close = event.target.closest ? event.target.closest(".appkit-toast-close") : null;
    if (close) {
      var toast = close.closest(".appkit-toast");
      if (toast) {
        toast.remove();
      }
    }
  });

  function start() {
    toastRegion();
    armAll();
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i++) {
        if (mutations[i].addedNodes.length) {
          toastRegion();  // a swap of the whole body (hx-boost) took it away
          armAll();
          return;
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  // A websocket route's error (an #appkit-ws-error element) is shown as a notice.
  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var text = event.detail && event.detail.message;
    if (typeof text !== "string" || text.indexOf("appkit-ws-error") < 0) return;
    var holder = document.createElement("template");
    holder.innerHTML = text;
    var error = holder.content.getElementById
      ? holder.content.getElementById("appkit-ws-error")
      : holder.content.querySelector("#appkit-ws-error");
    if (error) show(null, error.textContent.trim());
  });

  // The htmx ws extension's sockets carry the CSRF token too (a websocket's handshake needs
  // it, in the appkit-csrf query parameter: browsers let a page set no header on it).
  if (window.htmx) {
    window.htmx.createWebSocket = function (url) {
      var token = csrfToken();
      if (token) {
        url += (url.indexOf("?") < 0 ? "?" : "&") + CSRF_FIELD + "=" + encodeURIComponent(token);
      }
      return new WebSocket(url, []);
    };
  }

  window.appkit = {
    notify: function (text) { show(null, text); },
    // Ask a yes/no question in the page's own dialog; calls answer(true or false).
    // confirm(question, answer, title): title is "Confirm" unless given.
    confirm: ask,
    csrfToken: csrfToken,
  };
})();
