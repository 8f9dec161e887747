/*
 * Consultation sites on the shared sites map (static/js/sites-map.js); each marker links to the
 * site's free slots.
 */
(function () {
  "use strict";

  if (!window.GomaskSitesMap) {
    return;
  }
  var ngettext = window.ngettext || function (singular, plural, count) { return count > 1 ? plural : singular; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
  };
  window.GomaskSitesMap.show({
    container: "consultation-map",
    data: "consultation-map-points",
    maxZoom: 11,
    fallback: { center: [43.9, 2.2], zoom: 7 },
    popup: function (point) {
      var text = interpolate(
        ngettext("%(name)s (%(count)s créneau libre)", "%(name)s (%(count)s créneaux libres)", point.free),
        { name: point.name, count: point.free },
        true
      );
      return window.GomaskSitesMap.link(point.url, text);
    },
  });
})();
