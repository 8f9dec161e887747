/*
 * Care sites on the shared sites map (static/js/sites-map.js); each marker links to the referral
 * slip of its site.
 */
(function () {
  "use strict";

  if (!window.GomaskSitesMap) {
    return;
  }
  window.GomaskSitesMap.show({
    container: "care-site-map",
    data: "care-site-points",
    maxZoom: 12,
    fallback: { center: [46.6, 2.4], zoom: 5 },
    popup: function (point) {
      return point.url
        ? window.GomaskSitesMap.link(point.url, point.label, "map-refer-link")
        : document.createTextNode(point.label);
    },
  });
})();
