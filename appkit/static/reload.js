// Development only (appkit run): reload the page when the server comes back after a restart.
// The server announces its boot id over server-sent events; a different id means new code.
(function () {
  "use strict";
  var first = null;
  function connect() {
    var source = new EventSource("/_shell/reload");
    source.onmessage = function (event) {
      if (first === null) {
        first = event.data;
      } else if (event.data !== first) {
        source.close();
        location.reload();
      }
    };
    source.onerror = function () {
      // Browsers retry by themselves; if this one gave up, start again.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, 300);
      }
    };
  }
  connect();
})();
