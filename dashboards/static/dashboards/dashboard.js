/* Draws the dashboard's charts with the vendored Chart.js (static/dashboards/vendor, MIT). The data
   comes from json_script blocks rendered by the server; nothing is fetched. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  function read(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  var strings = read("chart-strings") || {};
  var line = read("line-chart-data");
  var lineCanvas = document.getElementById("line-chart");
  if (line && lineCanvas) {
    new Chart(lineCanvas, {
      type: "line",
      data: {
        labels: line.labels,
        datasets: line.datasets.map(function (d, i) {
          return { label: d.label, data: d.data.map(Number), yAxisID: d.yAxisID, tension: 0.2,
                   borderColor: i === 0 ? "#417690" : "#e0a800", backgroundColor: i === 0 ? "#417690" : "#e0a800" };
        })
      },
      options: { maintainAspectRatio: false, animation: false,
        scales: { visits: { position: "left", beginAtZero: true, title: { display: true, text: strings.visits } },
                  fund: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
                          title: { display: true, text: strings.fund } } } }
    });
  }
  (read("bar-charts-data") || []).forEach(function (chart) {
    var canvas = document.getElementById(chart.id);
    if (!canvas) { return; }
    var n = chart.labels.length;
    function flat(value) { var out = []; for (var i = 0; i < n; i++) { out.push(Number(value)); } return out; }
    new Chart(canvas, {
      data: {
        labels: chart.labels,
        datasets: [
          { type: "bar", label: strings.usage, data: chart.usage.map(Number), backgroundColor: "#79aec8" },
          { type: "line", label: strings.lower + " " + Number(chart.lower) + "%", data: flat(chart.lower),
            borderColor: "#e0a800", borderDash: [6, 4], pointRadius: 0, fill: false },
          { type: "line", label: strings.upper + " " + Number(chart.upper) + "%", data: flat(chart.upper),
            borderColor: "#ba2121", borderDash: [6, 4], pointRadius: 0, fill: false }
        ]
      },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } }
    });
  });
})();
