// appkit's line and bar charts (appkit/ui/charts.py), drawn with the vendored uPlot.
//
// A chart is <figure class="chart" data-chart="{config}"> holding a .chart-plot to draw
// in, its data in <script type="application/json" class="chart-data"> (never run), and a
// hidden .chart-feed. Elements appended to the feed (<template data-points="{...}">, by
// the live layer or an htmx answer) add points to the chart, which is not drawn anew.
// A chart that the server replaces (a morph with new data or settings) is drawn anew.
// Charts arriving later (htmx swaps, live updates) are found by a MutationObserver.
(function () {
  "use strict";
  if (window.appkitCharts) return;

  // uPlot formats numbers for navigator.language as it loads (this file loads first).
  // WebKitGTK under the C locale says "C", which Intl refuses: uPlot would not load.
  try {
    new Intl.NumberFormat(navigator.language);
  } catch (e) {
    Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
  }

  var charts = new Map();  // figure -> {plot, conf, text, data, labels}
  var pending = new Set();
  var frame = 0;

  function config(figure) {
    try { return JSON.parse(figure.getAttribute("data-chart") || "{}"); }
    catch (e) { return null; }
  }

  function dataOf(figure) {
    var holder = figure.querySelector(":scope > script.chart-data");
    return holder ? holder.textContent : "{}";
  }

  function colour(figure) {
    return getComputedStyle(figure).color || "#333";
  }

  // Draws the chart from the data the server sent, or (same) from the points it shows
  // now, added ones included (a change of theme).
  function build(figure, same) {
    var old = charts.get(figure);
    if (old) { old.plot.destroy(); charts.delete(figure); }
    var conf = config(figure);
    var text = dataOf(figure);
    var area = figure.querySelector(":scope > .chart-plot");
    if (!conf || !area || !window.uPlot) return;
    var bars = conf.kind === "bar";
    var labels, data;
    if (same && old) {
      labels = old.labels;
      data = old.data;
    } else {
      var parsed;
      try { parsed = JSON.parse(text); } catch (e) { return; }
      labels = bars ? parsed.x.slice() : null;
      data = [bars ? labels.map(function (_, i) { return i; }) : parsed.x.slice()]
        .concat(parsed.y.map(function (ys) { return ys.slice(); }));
    }
    area.textContent = "";
    var ink = colour(figure);
    var grid = { stroke: "rgba(127,127,127,0.25)", width: 1 };
    var count = conf.series.length;
    var series = [{ label: bars ? "Label" : (conf.time ? "Time" : "x"),
                    value: bars ? function (u, v) { return v == null ? "" : state.labels[v]; }
                                : undefined }];
    conf.series.forEach(function (s, n) {
      var item = { label: s.label, stroke: s.color, width: bars ? 1 : 2,
                   points: { show: false } };
      if (bars) {
        var width = 0.8 / count;
        item.fill = s.color;
        item.paths = uPlot.paths.bars({
          disp: {
            x0: { unit: 1, values: function (u) {
              return u.data[0].map(function (x) { return x - 0.4 + n * width; }); } },
            size: { unit: 1, values: function () { return [width]; } },
          },
        });
      }
      series.push(item);
    });
    // The value axis is as wide as its longest label (uPlot's is a fixed 50 px, which
    // cuts "1,250,000" off at the canvas's edge), plus a little room.
    function valueAxisSize(u, values, index, cycle) {
      var axis = u.axes[index];
      if (cycle > 1) return axis._size;
      var longest = (values || []).reduce(function (a, v) {
        return String(v).length > a.length ? String(v) : a; }, "");
      var size = axis.ticks.size + axis.gap + 4;
      if (longest) {
        u.ctx.save();
        u.ctx.font = axis.font[0];
        size += u.ctx.measureText(longest).width / (window.devicePixelRatio || 1);
        u.ctx.restore();
      }
      return Math.ceil(size);
    }
    var xAxis = { stroke: ink, grid: grid, ticks: grid };
    if (bars) {
      xAxis.splits = function (u) { return u.data[0]; };
      xAxis.values = function (u, splits) {
        return splits.map(function (v) { return state.labels[v]; });
      };
      xAxis.grid = { show: false };
    }
    var opts = {
      width: Math.max(area.clientWidth || figure.clientWidth, 100),
      height: conf.height,
      series: series,
      legend: { show: true },
      cursor: { drag: { x: !bars, y: false } },
      scales: { x: bars ? { time: false, range: function (u, min, max) {
                  return [Math.min(min, 0) - 0.5, max + 0.5]; } }
                        : { time: !!conf.time } },
      axes: [xAxis, { stroke: ink, grid: grid, ticks: grid, size: valueAxisSize }],
    };
    if (bars) opts.scales.y = { range: function (u, min, max) {
      return [Math.min(0, min), max > 0 ? max * 1.05 : 1]; } };
    var state = { conf: conf, text: text, data: data, labels: labels, ink: ink };
    state.plot = new uPlot(opts, data, area);
    charts.set(figure, state);
    resize.observe(area);
    figure.setAttribute("data-chart-ready", String(data[0].length));
    feed(figure);
  }

  // Points the feed received: added to the data, the oldest dropped beyond "keep".
  function feed(figure) {
    var state = charts.get(figure);
    var box = figure.querySelector(":scope > .chart-feed");
    if (!state || !box) return;
    var items = box.querySelectorAll("template[data-points]");
    if (!items.length) return;
    var data = state.data;
    var names = state.conf.series.map(function (s) { return s.label; });
    items.forEach(function (item) {
      var points;
      try { points = JSON.parse(item.getAttribute("data-points")); } catch (e) { points = null; }
      item.remove();
      if (!points || !Array.isArray(points.x)) return;
      var start = state.labels ? state.labels.length : 0;
      points.x.forEach(function (x, i) {
        if (state.labels) { state.labels.push(String(x)); data[0].push(start + i); }
        else data[0].push(x);
        names.forEach(function (name, s) {
          var at = points.series.indexOf(name);
          var v = at < 0 ? null : points.y[at][i];
          data[s + 1].push(v === undefined ? null : v);
        });
      });
    });
    var keep = state.conf.keep;
    if (keep && data[0].length > keep) {
      var drop = data[0].length - keep;
      data.forEach(function (column) { column.splice(0, drop); });
      if (state.labels) {
        state.labels.splice(0, drop);
        data[0] = data[0].map(function (_, i) { return i; });
      }
    }
    state.plot.setData(data);
    figure.setAttribute("data-chart-ready", String(data[0].length));
  }

  function check(figure) {
    if (!figure.isConnected) {
      var gone = charts.get(figure);
      if (gone) { gone.plot.destroy(); charts.delete(figure); }
      return;
    }
    var state = charts.get(figure);
    var area = figure.querySelector(":scope > .chart-plot");
    var changed = !state || state.text !== dataOf(figure) ||
      JSON.stringify(state.conf) !== JSON.stringify(config(figure)) ||
      !area || !area.contains(state.plot.root);
    if (changed) build(figure);
    else feed(figure);
  }

  function schedule(figure) {
    pending.add(figure);
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function flush() {
    frame = 0;
    var todo = Array.from(pending);
    pending.clear();
    todo.forEach(check);
  }

  function scan(root) {
    if (root.nodeType !== 1) return;
    if (root.matches("figure.chart[data-chart]")) schedule(root);
    root.querySelectorAll("figure.chart[data-chart]").forEach(schedule);
    var owner = root.parentElement && root.parentElement.closest("figure.chart[data-chart]");
    if (owner) schedule(owner);
  }

  function inOwnPlot(node) {
    // uPlot's own changes (its legend follows the cursor) are not the server's.
    var el = node.nodeType === 1 ? node : node.parentElement;
    var area = el && el.closest(".chart-plot");
    return !!area && area !== el;
  }

  var observer = new MutationObserver(function (records) {
    records.forEach(function (record) {
      if (inOwnPlot(record.target)) return;
      if (record.type === "attributes" || record.type === "characterData") {
        var el = record.target.nodeType === 1 ? record.target : record.target.parentElement;
        var figure = el && el.closest("figure.chart[data-chart]");
        if (figure) schedule(figure);
        return;
      }
      record.addedNodes.forEach(scan);
      if (record.removedNodes.length) {
        var owner = record.target.closest && record.target.closest("figure.chart[data-chart]");
        if (owner) schedule(owner);
        charts.forEach(function (_, figure) { if (!figure.isConnected) schedule(figure); });
      }
    });
  });

  var resize = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      var figure = entry.target.closest("figure.chart");
      var state = figure && charts.get(figure);
      if (state) {
        var width = Math.max(entry.target.clientWidth, 100);
        if (width !== state.plot.width) {
          state.plot.setSize({ width: width, height: state.conf.height });
        }
      }
    });
  });

  // The axes take the page's text colour: a change of theme draws the charts anew.
  function restyle() {
    charts.forEach(function (state, figure) {
      if (state.ink !== colour(figure)) build(figure, true);
    });
  }

  function start() {
    observer.observe(document.documentElement, {
      childList: true, subtree: true, characterData: true, attributes: true,
      attributeFilter: ["data-chart"],
    });
    new MutationObserver(function () { requestAnimationFrame(restyle); })
      .observe(document.documentElement, { attributes: true,
                                           attributeFilter: ["data-theme", "class"] });
    if (window.matchMedia) {
      var dark = window.matchMedia("(prefers-color-scheme: dark)");
      if (dark.addEventListener) dark.addEventListener("change", restyle);
    }
    scan(document.documentElement);
    flush();
  }

  window.appkitCharts = {
    charts: charts,
    refresh: function () { scan(document.documentElement); flush(); },
  };
  // Deferred, uPlot runs after this file and before DOMContentLoaded.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else if (window.uPlot) start();
  else window.addEventListener("load", start);
})();
