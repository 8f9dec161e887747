/*
 * Pharmacies out of stock or about to be, on a Leaflet map (django-leaflet), coloured by
 * stock band. The table under the map lists the same pharmacies: the map is an extra.
 * Works without tiles (no tile URL, or tiles blocked): markers still show on a blank map.
 */
(function () {
  "use strict";

  var COLOURS = { high: "#1e7b43", medium: "#8a5a00", low: "#b3261e", none: "#6c757d" };

  function init() {
    var container = document.getElementById("dashboard-map");
    var data = document.getElementById("dashboard-map-points");
    if (!container || !data || typeof L === "undefined") {
      return;
    }
    var points = JSON.parse(data.textContent);
    var map = L.map(container);
    var tileUrl = container.getAttribute("data-tile-url");
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: container.getAttribute("data-tile-attribution") || "" }).addTo(map);
    }
    var bounds = [];
    points.forEach(function (point) {
      var colour = COLOURS[point.band] || COLOURS.none;
      var marker = L.circleMarker([point.lat, point.lng], {
        radius: 7, color: colour, fillColor: colour, fillOpacity: 0.8, weight: 2
      }).addTo(map);
      var text = document.createElement("span");
      text.textContent = point.name + " (" + point.commune + ") — " + point.product + " : " +
        point.available + " (" + point.band_label + ")";
      marker.bindPopup(text);
      bounds.push([point.lat, point.lng]);
    });
    if (bounds.length) {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 11 });
    } else {
      map.setView([43.9, 2.2], 7);
    }
  }

  if (document.readyState !== "loading") {
    init();
  } else {
    document.addEventListener("DOMContentLoaded", init);
  }
})();
