// appkit's data grid (appkit/ui/grid.py): a row's checkbox selects the row, its Edit and
// Delete buttons (data-do) send their events. One listener for every grid sends them, so
// a row carries no htmx attributes of its own and a page of rows is little more than its
// cells. The rows' <tbody> names the component route (data-grid-event), each row its key
// (data-k). An event goes like any of the component's: htmx (taken over by the page's
// socket when it is open), queued behind the grid's others (the tbody's hx-sync); a
// button's hx-confirm is asked first, in the page's own dialog (appkit.js).
(function () {
  "use strict";
  if (window.appkitGrid) return;
  window.appkitGrid = true;

  function send(control, handler) {
    var rows = control.closest("[data-grid-event]");
    var row = control.closest("tr[data-k]");
    if (!rows || !row || !window.htmx) return;
    window.htmx.ajax("POST", rows.getAttribute("data-grid-event"), {
      source: control, values: { _h: handler, row: row.getAttribute("data-k") }
    });
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box && box.matches && box.matches("tr[data-k] > td > input[type=checkbox]")) {
      send(box, "toggle");
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ?
      event.target.closest("tr[data-k] button[data-do]") : null;
    if (button) send(button, button.getAttribute("data-do"));
  });
})();
