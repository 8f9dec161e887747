/*
 * "Trouver des masques": markers for the pharmacies listed on the page.
 * Data comes from the JSON script tags #pharmacies-data and #search-origin; tiles from the
 * container's data-tile-url (settings.MAP_TILE_URL). Without tiles (or without this
 * script) the list under the map carries the same information.
 */
(function () {
  "use strict";

  // Django's catalogue (/i18n/catalogue.js) may load after this file: look it up when used.
  function gettext(text) { return window.gettext ? window.gettext(text) : text; }
  var BAND_COLOURS = { high: "#1e7b43", medium: "#8a5a00", low: "#b3261e", none: "#6c757d" };

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function line(parent, tag, text) {
    var element = document.createElement(tag);
    element.textContent = text;
    parent.appendChild(element);
    return element;
  }

  function popupFor(point, container) {
    var popup = document.createElement("div");
    line(popup, "strong", point.name);
    line(popup, "div", point.address);
    line(popup, "div", point.distance_km.toLocaleString(document.documentElement.lang || "fr") + " km · " + point.band_label);
    line(popup, "small", gettext("Indicatif, mis à jour le") + " " + point.updated_at);
    var reserveUrl = container.getAttribute("data-reserve-url");
    if (reserveUrl && !point.sold_out) {
      var link = document.createElement("a");
      link.href = reserveUrl + "?pharmacy=" + encodeURIComponent(point.id) +
        "&product=" + encodeURIComponent(container.getAttribute("data-product"));
      link.textContent = gettext("Réserver une option");
      popup.appendChild(document.createElement("br"));
      popup.appendChild(link);
    }
    return popup;
  }

  function init() {
    var container = document.getElementById("availability-map");
    var points = readJson("pharmacies-data");
    var origin = readJson("search-origin");
    if (!container || !points || !origin || typeof window.L === "undefined") {
      return;
    }
    var L = window.L;
    var map = L.map(container, { scrollWheelZoom: false }).setView([origin.latitude, origin.longitude], 11);
    var tileUrl = container.getAttribute("data-tile-url");
    if (tileUrl) {
      L.tileLayer(tileUrl, {
        attribution: container.getAttribute("data-tile-attribution") || "",
        maxZoom: 18
      }).addTo(map);
    }
    var bounds = [[origin.latitude, origin.longitude]];
    L.circleMarker([origin.latitude, origin.longitude], {
      radius: 6, color: "#005f87", fillColor: "#005f87", fillOpacity: 1
    }).addTo(map).bindTooltip(origin.label);
    points.forEach(function (point) {
      var colour = BAND_COLOURS[point.sold_out ? "none" : point.band] || BAND_COLOURS.none;
      L.circleMarker([point.latitude, point.longitude], {
        radius: 9, weight: 2, color: colour, fillColor: colour, fillOpacity: 0.75
      }).addTo(map).bindPopup(popupFor(point, container));
      bounds.push([point.latitude, point.longitude]);
    });
    if (bounds.length > 1) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 14 });
    }
    container.setAttribute("data-ready", "true");
  }

  if (document.readyState !== "loading") {
    init();
  } else {
    document.addEventListener("DOMContentLoaded", init);
  }
})();
