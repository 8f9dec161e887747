/*
 * GO MASK — small progressive enhancements shared by every page (no inline handlers:
 * the pages stay usable without JavaScript and work under a strict CSP).
 *
 *  - Success/info messages get a "Fermer" button (errors stay until the next page).
 *  - <form data-confirm="Question ?"> asks for confirmation before submitting.
 *  - <button data-print> prints the page (e.g. recovery codes, a booking receipt).
 *  - The header menu (<details data-site-menu>) and <details class="fold-on-phone"> are opened
 *    on wide screens of browsers without ::details-content (CSS shows them there otherwise).
 * Texts go through Django's JavaScript catalogue (/i18n/catalogue.js, loaded by base.html).
 */
(function () {
  "use strict";

  // Django's catalogue (/i18n/catalogue.js) may load after this file: look it up when used.
  function gettext(text) { return window.gettext ? window.gettext(text) : text; }

  function onReady(fn) {
    if (document.readyState !== "loading") {
      fn();
    } else {
      document.addEventListener("DOMContentLoaded", fn);
    }
  }

  function enhanceMessages() {
    var messages = document.querySelectorAll(".message-success, .message-info");
    Array.prototype.forEach.call(messages, function (message) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "message-close";
      button.textContent = gettext("Fermer");
      var text = message.querySelector(".message-text");
      button.setAttribute("aria-label", gettext("Fermer le message") + (text ? " : " + text.textContent.trim() : ""));
      button.addEventListener("click", function () {
        var container = message.parentNode;
        message.parentNode.removeChild(message);
        if (container && !container.querySelector(".message")) {
          container.parentNode.removeChild(container);
        }
        var main = document.getElementById("contenu");
        if (main) {
          main.focus();
        }
      });
      message.appendChild(button);
    });
  }

  function enhanceConfirmForms() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form && form.matches && form.matches("form[data-confirm]")) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      }
    });
  }

  function enhancePrintButtons() {
    document.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target.closest("[data-print]") : null;
      if (target) {
        event.preventDefault();
        window.print();
      }
    });
  }

  // The header menu is a <details> that CSS shows open from 768px wide; browsers without
  // ::details-content need it opened (the phone layout keeps it folded).
  function openMenuOnWideScreens() {
    var supported = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
    if (supported || !window.matchMedia("(min-width: 768px)").matches) {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-site-menu], details.fold-on-phone"), function (details) {
      details.open = true;
    });
  }

  onReady(function () {
    openMenuOnWideScreens();
    enhanceMessages();
    enhanceConfirmForms();
    enhancePrintButtons();
  });
})();
