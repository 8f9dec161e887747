// Crisis console: refresh the reach and acknowledgement figures every 30 seconds (no reload,
// so a decision being typed is not lost). Reads the console's JSON endpoint.
(function () {
  "use strict";
  var section = document.getElementById("console-reach");
  if (!section || !window.fetch) { return; }
  var source = section.getAttribute("data-source");
  var updated = document.getElementById("console-updated");

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function refresh() {
    fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.bulletins.forEach(function (bulletin) {
          var article = section.querySelector('[data-bulletin="' + bulletin.id + '"]');
          if (!article) { return; }
          ["targeted", "delivered", "acknowledged"].forEach(function (field) {
            var span = article.querySelector('[data-field="' + field + '"]');
            if (span) { span.textContent = bulletin[field]; }
          });
          var body = article.querySelector("[data-rows]");
          if (body && bulletin.rows.length) {
            body.replaceChildren.apply(body, bulletin.rows.map(function (row) {
              var tr = document.createElement("tr");
              [row.profession, row.commune, row.targeted, row.delivered, row.acknowledged].forEach(function (value) {
                tr.appendChild(cell(value));
              });
              return tr;
            }));
          }
        });
        if (updated) {
          updated.textContent = (window.gettext ? window.gettext("Mis à jour à") : "Mis à jour à") + " " +
            new Date().toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
        }
      })
      .catch(function () { /* the next round tries again */ });
  }
  window.setInterval(refresh, 30000);
}());
