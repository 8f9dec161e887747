/*
 * Consultation sites on a Leaflet map. The page lists the same sites, so the map is only
 * an enhancement: without Leaflet or tiles, nothing breaks.
 */
(function () {
  "use strict";

  function init() {
    var container = document.getElementById("consultation-map");
    var data = document.getElementById("consultation-map-points");
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
      var marker = L.marker([point.lat, point.lng], { title: point.name, alt: point.name }).addTo(map);
      var link = document.createElement("a");
      link.href = point.url;
      link.textContent = point.name + " (" + point.free + " créneau" + (point.free > 1 ? "x" : "") + " libre" + (point.free > 1 ? "s" : "") + ")";
      marker.bindPopup(link);
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
