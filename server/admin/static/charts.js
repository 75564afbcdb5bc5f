/* Draw every <canvas class="chart" data-chart='{"type", "labels", "series": [{label, data}], "money"}'>
   with Chart.js (vendored, no CDN). The same figures are in the table next to each chart. */
(function () {
  "use strict";
  var palette = ["#0b5394", "#b45f06", "#38761d", "#741b47", "#444444", "#cc0000"];
  var lang = document.documentElement.lang || "pt-BR";
  function fmt(v, money) {
    return money ? new Intl.NumberFormat(lang, { style: "currency", currency: "BRL" }).format(v)
                 : new Intl.NumberFormat(lang).format(v);
  }
  document.querySelectorAll("canvas.chart").forEach(function (el) {
    var spec = JSON.parse(el.getAttribute("data-chart"));
    var datasets = spec.series.map(function (s, i) {
      return { label: s.label, data: s.data, backgroundColor: palette[i % palette.length],
               borderColor: palette[i % palette.length], yAxisID: s.axis || "y", type: s.type || undefined,
               fill: false, tension: 0.2 };
    });
    var scales = { y: { beginAtZero: true, ticks: { callback: function (v) { return fmt(v, spec.money); } } } };
    if (spec.series.some(function (s) { return s.axis === "y2"; })) {
      scales.y2 = { position: "right", beginAtZero: true, max: 100, grid: { drawOnChartArea: false },
                    ticks: { callback: function (v) { return v + "%"; } } };
    }
    new Chart(el, {
      type: spec.type, data: { labels: spec.labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: scales,
                 plugins: { legend: { position: "bottom" } } }
    });
    el.setAttribute("data-rendered", "1");
  });
})();
