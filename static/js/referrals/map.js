/*
 * Care sites on a Leaflet map; each marker links to the referral slip of its site. The page
 * lists the same sites, so the map is only an enhancement: without Leaflet or tiles, nothing breaks.
 */
(function () {
  "use strict";

  function init() {
    var container = document.getElementById("care-site-map");
    var data = document.getElementById("care-site-points");
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
      if (point.url) {
        var link = document.createElement("a");
        link.href = point.url;
        link.className = "map-refer-link";
        link.textContent = point.label;
        marker.bindPopup(link);
      } else {
        marker.bindPopup(document.createTextNode(point.label));
      }
      bounds.push([point.lat, point.lng]);
    });
    if (bounds.length) {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 12 });
    } else {
      map.setView([46.6, 2.4], 5);
    }
    container.setAttribute("data-ready", "true");
  }

  if (document.readyState !== "loading") {
    init();
  } else {
    document.addEventListener("DOMContentLoaded", init);
  }
})();
