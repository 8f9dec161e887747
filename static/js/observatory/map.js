/*
 * The observatory's indicator on a Leaflet map (django-leaflet): one circle per commune or EPCI,
 * area proportional to its population, coloured by class (viridis, as the legend). The table
 * beside the map holds the same figures: the map is an extra. Works without tiles.
 * Points: [code, name, lat, lng, population, value, class], fetched from data-points-url (compact
 * JSON, cached on the server per computation run), so the page itself stays small.
 */
(function () {
  "use strict";

  var COLOURS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
  var NONE = "#bdbdbd";

  function init() {
    var container = document.getElementById("observatory-map");
    if (!container || typeof L === "undefined" || !window.fetch) {
      return;
    }
    fetch(container.getAttribute("data-points-url"), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (points) { draw(container, points); })
      .catch(function () { draw(container, []); });
  }

  function draw(container, points) {
    // SVG circles (one element each, readable by tests and tools) unless there are thousands.
    var map = L.map(container, { preferCanvas: points.length > 1500 });
    var tileUrl = container.getAttribute("data-tile-url");
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: container.getAttribute("data-tile-attribution") || "" }).addTo(map);
    }
    var maxPopulation = 1;
    points.forEach(function (p) { maxPopulation = Math.max(maxPopulation, p[4]); });
    var bounds = [];
    points.forEach(function (p) {
      var colour = p[6] === null ? NONE : COLOURS[p[6]] || NONE;
      var radius = 3 + 17 * Math.sqrt(p[4] / maxPopulation);
      var marker = L.circleMarker([p[2], p[3]], {
        radius: radius, color: "#222222", weight: 1, fillColor: colour, fillOpacity: 0.85
      }).addTo(map);
      var text = document.createElement("span");
      text.textContent = p[1] + " (" + p[0] + ") : " + (p[5] === null ? "—" : p[5]);
      marker.bindPopup(text);
      bounds.push([p[2], p[3]]);
    });
    if (bounds.length) {
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: 11 });
    } else {
      map.setView([46.6, 2.4], 5);
    }
    container.setAttribute("aria-busy", "false");
  }

  if (document.readyState !== "loading") {
    init();
  } else {
    document.addEventListener("DOMContentLoaded", init);
  }
})();
