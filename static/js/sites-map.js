/*
 * The one Leaflet map of sites, shared by the consultations pages and the referral page: a
 * container with the tile address in data-tile-url / data-tile-attribution, the points in a
 * <script type="application/json"> block, one marker per point whose popup is given by the page.
 * The pages list the same sites, so the map is only an enhancement: without Leaflet (vendored,
 * loaded before this file by {% leaflet_js %}) or without tiles, nothing breaks.
 *
 * GomaskSitesMap.show({
 *   container: "id of the map element", data: "id of the JSON block",
 *   popup: function (point) { return a DOM node or null },   // default: the point's name
 *   maxZoom: 12, fallback: { center: [46.6, 2.4], zoom: 5 }  // view when there is no point
 * })
 */
(function () {
  "use strict";

  function draw(options) {
    var container = document.getElementById(options.container);
    var data = document.getElementById(options.data);
    if (!container || !data || typeof L === "undefined") {
      return null;
    }
    var points = JSON.parse(data.textContent);
    var map = L.map(container);
    var tileUrl = container.getAttribute("data-tile-url");
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: container.getAttribute("data-tile-attribution") || "" }).addTo(map);
    }
    var popup = options.popup || function (point) { return document.createTextNode(point.name); };
    var bounds = [];
    points.forEach(function (point) {
      var marker = L.marker([point.lat, point.lng], { title: point.name, alt: point.name }).addTo(map);
      var content = popup(point);
      if (content) {
        marker.bindPopup(content);
      }
      bounds.push([point.lat, point.lng]);
    });
    if (bounds.length) {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: options.maxZoom || 12 });
    } else {
      var fallback = options.fallback || { center: [46.6, 2.4], zoom: 5 };
      map.setView(fallback.center, fallback.zoom);
    }
    container.setAttribute("data-ready", "true");
    return map;
  }

  function link(url, text, className) {
    var anchor = document.createElement("a");
    anchor.href = url;
    anchor.textContent = text;
    if (className) {
      anchor.className = className;
    }
    return anchor;
  }

  function show(options) {
    if (document.readyState !== "loading") {
      draw(options);
    } else {
      document.addEventListener("DOMContentLoaded", function () { draw(options); });
    }
  }

  window.GomaskSitesMap = { show: show, link: link };
})();
