// "Use my location": fill the search form's lat/lng from the browser and submit.
// Progressive enhancement: without JavaScript the button stays hidden and the
// location field works as it is. The position goes only to this site.
(function () {
  "use strict";
  // The page's language, from Django's JavaScriptCatalog (/jsi18n/); English without it.
  var gettext = window.gettext || function (s) { return s; };
  var button = document.getElementById("use-my-location");
  var form = document.getElementById("search-form");
  if (!button || !form || !("geolocation" in navigator)) {
    return;
  }
  var status = document.getElementById("locate-status");
  var near = form.elements.near;

  function say(message) {
    status.textContent = message;
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    say(gettext("Finding your location…"));
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(5);
        form.elements.lng.value = position.coords.longitude.toFixed(5);
        near.value = "";
        say(gettext("Found you. Searching…"));
        form.submit();
      },
      function () {
        button.disabled = false;
        form.elements.lat.value = "";
        form.elements.lng.value = "";
        say(gettext("We couldn't get your location. Type a ZIP code or City, ST instead."));
        near.focus();
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 }
    );
  });
})();
