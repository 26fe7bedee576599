/* Draws the dashboard's charts with the vendored Chart.js (static/dashboards/vendor, MIT). The data
   comes from json_script blocks rendered by the server; nothing is fetched.
   Each chart has its own axis: visits on whole numbers, the fund in ¥, budget usage in % with the
   region's year-end bands drawn across (the axis reaches past the upper band whatever the data). */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  function read(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  var grouped = new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 0 });
  var money = new Intl.NumberFormat("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var strings = read("chart-strings") || {};
  var line = read("line-chart-data");

  function monthly(canvasId, label, data, color, tick) {
    var canvas = document.getElementById(canvasId);
    if (!canvas || !line) { return; }
    new Chart(canvas, {
      type: "line",
      data: { labels: line.labels, datasets: [{ label: label, data: data.map(Number), tension: 0.2,
                                                 borderColor: color, backgroundColor: color }] },
      options: { maintainAspectRatio: false, animation: false,
                 plugins: { legend: { display: false } },
                 scales: { y: { beginAtZero: true, title: { display: true, text: label },
                                ticks: tick } } }
    });
  }
  if (line) {
    monthly("line-chart", strings.visits, line.visits, "#417690",
            { precision: 0, callback: function (v) { return grouped.format(v); } });
    monthly("fund-chart", strings.fund, line.fund, "#b36b00",
            { callback: function (v) { return "¥" + grouped.format(v); } });
  }

  (read("bar-charts-data") || []).forEach(function (chart) {
    var canvas = document.getElementById(chart.id);
    if (!canvas) { return; }
    var n = chart.labels.length;
    var upper = Number(chart.upper), lower = Number(chart.lower);
    function flat(value) { var out = []; for (var i = 0; i < n; i++) { out.push(value); } return out; }
    // Horizontal bars: provider names read whole on the left instead of slanted under the axis.
    canvas.parentNode.style.height = Math.max(200, 28 * n + 80) + "px";
    new Chart(canvas, {
      data: {
        labels: chart.labels,
        datasets: [
          { type: "bar", label: strings.usage, data: chart.usage.map(Number), backgroundColor: "#79aec8" },
          { type: "line", label: strings.lower + " " + lower + "%", data: flat(lower),
            borderColor: "#e0a800", borderDash: [6, 4], pointRadius: 0, fill: false },
          { type: "line", label: strings.upper + " " + upper + "%", data: flat(upper),
            borderColor: "#ba2121", borderDash: [6, 4], pointRadius: 0, fill: false }
        ]
      },
      options: { indexAxis: "y", maintainAspectRatio: false, animation: false,
                 scales: { x: { beginAtZero: true, suggestedMax: upper * 1.25,
                                ticks: { callback: function (v) { return grouped.format(v) + "%"; } } },
                           y: { ticks: { autoSkip: false } } },
                 plugins: { tooltip: { callbacks: { label: function (c) {
                   return c.dataset.label + ": " + money.format(c.parsed.x) + "%"; } } } } }
    });
  });
})();
