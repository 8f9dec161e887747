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
    var ngettext = window.ngettext || function (singular, plural, count) { return count > 1 ? plural : singular; };
    var interpolate = window.interpolate || function (format, values) {
      return format.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
    };
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
      link.textContent = interpolate(
        ngettext("%(name)s (%(count)s créneau libre)", "%(name)s (%(count)s créneaux libres)", point.free),
        { name: point.name, count: point.free },
        true
      );
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
