// appkit's page script: shows errors from htmx requests instead of dropping them.
// htmx does not swap 4xx/5xx answers; appkit's error fragment (or a plain message when the
// server could not be reached) is shown in a dismissible notice at the top of the page.
(function () {
  "use strict";

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

  window.appkit = { notify: function (text) { show(null, text); } };
})();
