// One click from the e-mail or SMS link: the "pris en compte" page sends its own form as soon as
// it is shown to a person (a visible tab). A scanner that only fetches the address (GET, HEAD,
// no script) acknowledges nothing; without JavaScript the button stays as the fallback.
(function () {
  "use strict";
  var form = document.querySelector("form[data-auto-submit]");
  if (!form) {
    return;
  }
  var sent = false;
  function send() {
    if (sent || document.visibilityState !== "visible") {
      return;
    }
    sent = true;
    var status = document.getElementById("acknowledge-status");
    if (status) {
      status.textContent = form.getAttribute("data-sending");
    }
    form.submit();
  }
  form.addEventListener("submit", function () {
    sent = true;
  });
  document.addEventListener("visibilitychange", send);
  send();
})();
