// appkit live: one websocket per page that keeps the page in sync with the server.
// Protocol v1 (appkit/live/protocol.py). It follows the topics the page subscribes to
// (elements with data-live-topic / data-live-seq), sends the forms marked data-live-send
// as events, applies what the server sends (idiomorph keeps focus, selection and what the
// user is typing), and survives a lost connection: it reconnects at once, then every
// 200 ms, then slower; on reconnect the server replays what the page missed, and events
// the page sent are never run twice.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="appkit-live"]');
  if (!meta || !window.WebSocket) return;
  var config = JSON.parse(meta.getAttribute("content"));
  var S = {
    ws: null, open: false, page: randomId(), boot: config.boot, lastId: 0, acked: 0,
    topics: {}, ref: 0, replied: 0, pending: new Map(), tries: 0, startedAt: 0,
    sentAt: 0, pingAt: 0, ackTimer: null, stopped: false, reloading: false, welcomed: false,
    transmitted: 0,  // the last event that went out on a socket (later ones never left)
    edits: 0,        // counts the user's input: a field edited after an event left keeps
                     // what the user typed when that event's (older) reply arrives
    live: false,     // whether the page has live parts (else it opens no socket)
    components: {},  // the live components on the page, as last told to the server
    holdScan: false, scanDue: false  // a message of several frames: scan once, after them
  };
  S.topics[config.user[0]] = config.user[1];

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function status(state) {
    document.documentElement.setAttribute("data-live", state);
  }

  // The page's topics; those new since the last scan are followed at once (a swap can
  // bring a topic onto the page after the socket opened).
  function scan(root) {
    var found = false;
    var added = {};
    var any = false;
    (root || document).querySelectorAll("[data-live-topic]").forEach(function (el) {
      var name = el.getAttribute("data-live-topic");
      var seq = parseInt(el.getAttribute("data-live-seq") || "0", 10);
      if (!(name in S.topics)) { added[name] = seq; any = true; }
      if (!(name in S.topics) || S.topics[name] < seq) S.topics[name] = seq;
      found = true;
    });
    if (any && S.open) send({ t: "follow", topics: added });
    else if (any && !S.ws && !S.stopped) { S.live = true; connect(); }
    var components = own();
    return found || components || !!document.querySelector("[data-live-send]");
  }

  // The page's live components: the server keeps a component while its page is open
  // and lets it go soon after the page closed (or after the element left the page).
  function own() {
    var now = {};
    var added = [];
    var gone = [];
    document.querySelectorAll("[data-component][id]").forEach(function (el) {
      now[el.id] = true;
      if (!S.components[el.id]) added.push(el.id);
    });
    Object.keys(S.components).forEach(function (id) { if (!now[id]) gone.push(id); });
    S.components = now;
    if (S.open && (added.length || gone.length)) send({ t: "own", c: added, gone: gone });
    return added.length > 0 || Object.keys(now).length > 0;
  }
  document.addEventListener("htmx:afterSettle", function () { scan(); });

  function csrf() {
    var tag = document.querySelector('meta[name="csrf-token"]');
    return tag ? tag.getAttribute("content") : "";
  }

  function connect() {
    if (S.stopped || S.reloading || (S.ws && S.ws.readyState <= 1)) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + location.host + config.url + "?appkit-csrf=" +
              encodeURIComponent(csrf() || config.token || "");
    status("connecting");
    var ws = S.ws = new WebSocket(url);
    ws.onopen = function () {
      S.open = true; S.lastId = 0; S.acked = 0; S.startedAt = Date.now(); S.pingAt = 0;
      send({ t: "hello", v: 1, build: config.build, boot: S.boot, page: S.page,
             topics: S.topics, replied: S.replied, sent: S.transmitted, resumed: S.welcomed,
             components: Object.keys(S.components), batch: true });
    };
    ws.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (!Array.isArray(data)) return receive(data);
      // Several frames: the page is scanned for components once, after all of them.
      S.holdScan = true;
      try {
        data.forEach(function (m) { if (S.ws === ws) receive(m); });
      } finally {
        S.holdScan = false;
      }
      if (S.scanDue) { S.scanDue = false; scan(); }
    };
    ws.onclose = function (event) {
      if (S.ws !== ws) return;
      S.open = false; S.ws = null;
      closed(event.code, event.reason);
    };
  }

  function send(frame) {
    if (!S.open) return false;
    S.ws.send(JSON.stringify(frame));
    S.sentAt = Date.now();
    if (frame.t === "ev" && frame.ref > S.transmitted) S.transmitted = frame.ref;
    return true;
  }

  function receive(m) {
    if (m.id !== undefined) {
      if (m.id <= S.lastId) return;            // a duplicate
      S.lastId = m.id;
      scheduleAck();
    }
    S.pingAt = 0;
    if (m.t === "welcome") {
      S.boot = m.boot; S.tries = 0; S.welcomed = true;
      status("live");
      // Events the server saw but whose replies it no longer has (it forgot the page, or
      // kept only the newest replies) may or may not have been done, and are not sent
      // again (never twice). The forms still hold what was typed.
      var lost = false;
      S.pending.forEach(function (item, ref) {
        if (ref <= m.seen && (m.forgotten || ref < m.kept)) {
          S.pending.delete(ref); finish(item, { ok: false }); lost = true;
        }
      });
      if (lost) {
        notify("The connection was lost for a while: what you sent last may not have " +
               "arrived. Check, and send it again if it did not.");
      }
      S.pending.forEach(function (item, ref) {  // in order: a Map keeps insertion order
        if (ref > m.seen) send(item.frame);
      });
    } else if (m.t === "msg") {
      apply(m.ops);
      S.topics[m.topic] = m.seq;
    } else if (m.t === "reply") {
      if (m.ref > S.replied) S.replied = m.ref;
      var item = S.pending.get(m.ref);
      S.pending.delete(m.ref);
      if (item) finish(item, m);
      if (item && item.component && !m.ok && m.error && m.error.status === 410 &&
          window.appkitReloadOnce) {
        window.appkitReloadOnce();   // the server no longer has the component
        return;
      }
      if (m.session) saveSession(m.session, 0);
      if (m.ops) apply(m.ops, item ? item.edits : undefined);
      if (!m.ok && m.error) notify(m.error.message);
    } else if (m.t === "ops") {             // a streaming component's step
      apply(m.ops);
    } else if (m.t === "reload") {
      reload(m.why);
    }
  }

  function scheduleAck() {
    if (S.lastId - S.acked >= 16) return ack();
    if (!S.ackTimer) S.ackTimer = setTimeout(ack, 100);
  }

  function ack() {
    clearTimeout(S.ackTimer); S.ackTimer = null;
    if (S.lastId > S.acked && send({ t: "ack", id: S.lastId })) S.acked = S.lastId;
  }

  // An event's handler changed the session: the socket cannot set the cookie, so the page
  // posts the one-time key the reply carried and that answer does (a reply sent again
  // after a reconnect posts a key already used: 404, nothing to do).
  function saveSession(key, tries) {
    fetch(config.url + "/session", {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf() },
      body: "key=" + encodeURIComponent(key)
    }).then(function (response) {
      if (!response.ok && response.status !== 404) throw new Error(String(response.status));
    }).catch(function () {
      if (tries < 60) setTimeout(function () { saveSession(key, tries + 1); }, 1000);
    });
  }

  // ---- applying what the server sends ------------------------------------------------

  // Morph options: the focused field keeps its value; with `since`, so does every field
  // the user edited after that point (a reply is older than that input).
  function options(style, since) {
    // idiomorph leaves the focused element's children alone with ignoreActiveValue: right
    // for a field being typed in, wrong for a clicked button (its label would go stale).
    var active = document.activeElement;
    var typing = !!active && (/^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) ||
                              active.isContentEditable);
    var opts = { morphStyle: style, ignoreActiveValue: typing };
    if (since !== undefined) {
      opts.callbacks = { beforeNodeMorphed: function (old) {
        return !(old.__appkitEdit > since);
      } };
    }
    return opts;
  }

  function apply(ops, since) {
    if (!ops.length) return;
    ops.forEach(function (op) {
      var el = document.getElementById(op.target);
      if (!el) return;
      if (op.op === "remove") { el.remove(); return; }
      if (op.op === "go") {            // a view sends its windows to another page
        if (/^\/(?!\/)/.test(op.url)) location.assign(op.url);
        return;
      }
      if (op.op === "morph") {
        Idiomorph.morph(el, op.html, options("outerHTML", since));
        processed(document.getElementById(op.target));
      } else if (op.op === "inner") {
        Idiomorph.morph(el, op.html, options("innerHTML", since));
        processed(el);
      } else {
        var holder = document.createElement("template");
        holder.innerHTML = op.html;
        var where = { append: "beforeend", prepend: "afterbegin", before: "beforebegin",
                      after: "afterend" }[op.op];
        var nodes = Array.prototype.slice.call(holder.content.childNodes);
        if (op.op === "prepend" || op.op === "after") nodes.reverse();
        nodes.forEach(function (node) {
          // An element the page has already (the same id) is updated, never doubled.
          var same = node.id ? document.getElementById(node.id) : null;
          if (same) {
            Idiomorph.morph(same, node, options("outerHTML", since));
            return;
          }
          if (node.nodeType === 1) el.insertAdjacentElement(where, node);
          else if (node.nodeType === 3) el.insertAdjacentText(where, node.textContent);
          processed(node);
        });
      }
    });
    if (S.holdScan) S.scanDue = true;
    else scan();
  }

  function processed(el) {
    if (el && el.nodeType === 1 && window.htmx) window.htmx.process(el);
  }

  function notify(text) {
    if (window.appkit && window.appkit.notify) window.appkit.notify(text);
  }

  // ---- events from the page ----------------------------------------------------------

  function values(form) {
    var data = {};
    new FormData(form).forEach(function (value, key) {
      if (typeof value !== "string") return;   // files go over HTTP, not the socket
      if (key in data) data[key] = [].concat(data[key], value);
      else data[key] = value;
    });
    return data;
  }

  document.addEventListener("input", function (event) {
    if (event.target && "value" in event.target) event.target.__appkitEdit = ++S.edits;
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-live-send")) return;
    event.preventDefault();
    var data = values(form);
    var frame = { t: "ev", ref: S.ref + 1, route: form.getAttribute("data-live-send"), d: data };
    var text = JSON.stringify(frame);   // (at most 3 bytes a character: a Blob when it may be)
    if (text.length * 3 > config.max && new Blob([text]).size > config.max) {
      // The server would close the socket (1009): refuse it here, nothing is lost.
      notify("This is too large to send (at most " + Math.floor(config.max / 1024) + " KB).");
      return;
    }
    var ref = ++S.ref;
    S.pending.set(ref, { form: form, sent: data, frame: frame, edits: S.edits });
    form.setAttribute("aria-busy", "true");
    send(frame);   // when offline it goes out after the reconnect
  });

  // Whether a form's data holds a file the user chose (a file input with none sends an
  // empty part with no name).
  function holdsFile(formData) {
    var found = false;
    formData.forEach(function (value) {
      if (typeof value !== "string" && value && value.name) found = true;
    });
    return found;
  }

  // A component's event (an htmx POST to the component route) goes over the socket while
  // it is open: the same dispatch answers it, a reply morphs the component. So does a
  // view's (its update comes on the view's topic), except a form with a chosen file: the
  // socket carries text only, so htmx posts that one (multipart) and swaps its answer.
  document.addEventListener("htmx:configRequest", function (event) {
    var d = event.detail;
    if (!S.open || d.verb !== "post" || !d.path ||
        (d.path !== config.component && d.path !== config.view)) return;
    if (d.path === config.view && holdsFile(d.formData)) return;
    event.preventDefault();
    var data = {};
    d.formData.forEach(function (value, key) {
      if (typeof value !== "string") return;
      if (key in data) data[key] = [].concat(data[key], value);
      else data[key] = value;
    });
    var ref = ++S.ref;
    var frame = { t: "ev", ref: ref, route: d.path, d: data };
    S.pending.set(ref, { form: d.elt, sent: data, frame: frame, edits: S.edits,
                         component: true });
    send(frame);   // no aria-busy: Pico makes a busy button ignore the next click
  });

  function finish(item, reply) {
    var form = item.form;
    var still = Array.from(S.pending.values()).some(function (other) {
      return other.form === form;
    });
    if (!still && !item.component) form.removeAttribute("aria-busy");
    // A component's form shows what its state says: its reply morphs it, nothing to clear.
    if (!reply.ok || !form.elements || item.component) return;
    // Clear what was sent, but never what the user typed since: a reply is older than
    // the user's newest input.
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.type === "hidden" || field.type === "submit") return;
      if (field.type === "checkbox" || field.type === "radio") return;
      if (item.sent[field.name] === field.value) field.value = "";
    });
  }

  // ---- losing and finding the server ---------------------------------------------------

  var POLICY = { 1000: 1, 1008: 1, 4403: 1, 4409: 1 };
  var RELOAD = { 4000: 1, 4001: 1, 4410: 1 };

  function closed(code, reason) {
    if (S.reloading) return;
    if (RELOAD[code]) return reload("build");
    if (code === 4205) return connect();   // the session changed: read it anew
    if (POLICY[code]) {
      S.stopped = true;
      status("closed");
      if (code !== 1000 && reason) notify(reason);
      return;
    }
    status("offline");
    setTimeout(probe, backoff(S.tries++));
  }

  // While the server is away, ask for a small file with fetch and open the websocket once
  // it answers: browsers slow a page's websocket attempts down after failed ones (Chromium
  // by hundreds of ms), not its fetches, so the page is back as soon as the server is.
  function probe() {
    if (S.stopped || S.reloading || S.open) return;
    fetch(config.probe, { method: "HEAD", cache: "no-store", credentials: "same-origin" })
      .then(function () { connect(); })
      .catch(function () { setTimeout(probe, backoff(S.tries++)); });
  }

  function backoff(tries) {
    // At once, then every 200 ms for about 15 s (a loopback server restarts quickly),
    // then every 1 s, then every 2 s.
    if (tries < 5) return [0, 50, 100, 150, 200][tries];
    if (tries < 80) return 200;
    return tries < 110 ? 1000 : 2000;
  }

  function reload(why) {
    var key = "appkit-live-reloads";
    var now = Date.now();
    var times = JSON.parse(sessionStorage.getItem(key) || "[]").filter(function (t) {
      return now - t < 60000;
    });
    if (times.length >= 3) {
      S.stopped = true;
      status("closed");
      notify("The app keeps restarting; reload the page when it is back.");
      return;
    }
    times.push(now);
    sessionStorage.setItem(key, JSON.stringify(times));
    S.reloading = true;
    location.reload();
  }

  setInterval(function () {
    if (!S.open) return;
    var now = Date.now();
    if (S.pingAt && now - S.pingAt > 10000) {      // no answer to a ping: reconnect
      S.ws.close(4100, "No answer to a ping");     // a code: 1005 would say "left" 
      return;
    }
    if (!S.pingAt && now - S.sentAt > config.heartbeat * 1000) {
      S.pingAt = now;
      send({ t: "ping" });
    }
  }, 1000);

  // Leaving the page (the window closes, it navigates away): say so as the socket closes,
  // so that the server lets the page's state go soon instead of keeping it for a resume.
  window.addEventListener("pagehide", function () {
    if (S.ws && S.open) S.ws.close(4101, "The page was left");
  });

  // Only a page with live parts wakes its connection (pageshow fires on every load).
  function wake() { if (S.live && !S.open && !S.stopped) { S.tries = 0; probe(); } }
  window.addEventListener("online", wake);
  window.addEventListener("pageshow", wake);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") wake();
  });

  function start() { if (scan()) { S.live = true; connect(); } }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.appkitLive = { state: S, connect: connect };
})();
