/*
 * Regional dashboard charts (Chart.js, vendored). Each chart reads the JSON that the server
 * rendered next to its table (json_script); the table stays the accessible source of truth,
 * so without JavaScript or Chart.js the page still shows every figure.
 */
(function () {
  "use strict";

  var PALETTE = ["#1e5aa8", "#b3261e", "#1e7b43", "#8a5a00", "#6a3d9a", "#00695c", "#5d4037", "#37474f"];

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var stacked = spec.type === "stacked";
    var datasets = spec.datasets.map(function (dataset, index) {
      var colour = PALETTE[index % PALETTE.length];
      return {
        type: dataset.line ? "line" : "bar",
        label: dataset.label,
        data: dataset.data,
        backgroundColor: colour,
        borderColor: colour,
        stack: dataset.line ? "line" : "arrivals",
        order: dataset.line ? 0 : 1
      };
    });
    canvas.parentNode.classList.add("chart-drawn");
    new Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  }

  if (document.readyState !== "loading") {
    init();
  } else {
    document.addEventListener("DOMContentLoaded", init);
  }
})();
