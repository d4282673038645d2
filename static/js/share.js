// "Copy link to this page": put this page's address on the clipboard.
// Progressive enhancement: without JavaScript the button stays hidden (the
// address bar does the same job). The address, which on a results page names
// the patient's condition and place, goes only to their own clipboard. Where
// the clipboard API is missing or refused, the address is shown selected in a
// read-only field for the patient to copy themselves.
(function () {
  "use strict";
  // Django's JavaScript catalogue, loaded before this script; English if it did not load.
  var gettext = window.gettext || function (text) {
    return text;
  };
  var button = document.querySelector("[data-copy-link]");
  if (!button) {
    return;
  }
  var status = document.getElementById("copy-link-status");
  var fallback = document.getElementById("copy-link-fallback");
  var field = document.getElementById("copy-link-url");

  function say(message) {
    status.textContent = "";
    // A fresh text node, so a second copy is announced again.
    window.setTimeout(function () {
      status.textContent = message;
    }, 50);
  }

  function showField() {
    field.value = window.location.href;
    fallback.hidden = false;
    field.focus();
    field.select();
    say(gettext("Copying is not available here: the link is selected in the box, ready to copy."));
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    var href = window.location.href;
    if (!navigator.clipboard || !window.isSecureContext) {
      showField();
      return;
    }
    navigator.clipboard.writeText(href).then(
      function () {
        fallback.hidden = true;
        say(gettext("Link copied"));
      },
      showField
    );
  });
})();
