/* The "Imprimer la fiche" button of a referral slip (no inline script: CSP). */
(function () {
  "use strict";
  var button = document.getElementById("print-slip");
  if (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  }
})();
