/* The arrival form says what a quantity in boxes means in masks before it is saved:
   "3 boîtes × 20 = 60 masques". The box sizes come from the unit field (data-box-sizes). */
(function () {
  "use strict";
  var ngettext = window.ngettext || function (singular, plural, count) { return count > 1 ? plural : singular; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\(\w+\)s/g, function (match) { return String(values[match.slice(2, -2)]); });
  };

  function setUp(form) {
    var product = form.querySelector("[name$='product']");
    var quantity = form.querySelector("[name$='quantity']");
    var unit = form.querySelector("[name$='unit']");
    var output = form.querySelector("#arrival-conversion");
    if (!product || !quantity || !unit || !output) { return; }
    var sizes = JSON.parse(unit.getAttribute("data-box-sizes") || "{}");

    function update() {
      var count = parseInt(quantity.value, 10);
      var size = sizes[product.value];
      if (!count || count < 1 || !size) { output.textContent = ""; return; }
      var masks = unit.value === "box" ? count * size : count;
      var text = interpolate(ngettext("= %(masks)s masque", "= %(masks)s masques", masks), { masks: masks }, true);
      if (unit.value === "box") {
        text = interpolate(
          ngettext("%(count)s boîte de %(size)s ", "%(count)s boîtes de %(size)s ", count),
          { count: count, size: size }, true
        ) + text;
      }
      output.textContent = text + " " + (product.options[product.selectedIndex] || {}).text;
    }
    [product, quantity, unit].forEach(function (field) {
      field.addEventListener("input", update);
      field.addEventListener("change", update);
    });
    update();
  }

  document.querySelectorAll("form[data-arrival-form]").forEach(setUp);
})();
