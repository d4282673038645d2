// Location type-ahead: ZIP codes, "City, ST" and states suggested as the
// patient types, from this site's /api/places/ (the offline gazetteer).
// Follows the WAI-ARIA APG combobox with list autocomplete and manual
// selection: Down/Up move through the suggestions (DOM focus stays in the
// field, aria-activedescendant names the highlighted one), Enter takes the
// highlighted suggestion, Escape closes the list (or, closed, clears the
// field), Tab leaves without choosing. A polite live region says how many
// suggestions there are.
// Progressive enhancement: without JavaScript (or fetch) the field is the
// plain text input it always was. Only the typed text is sent, only to this
// site, with no cookies and no Referer.
(function () {
  "use strict";
  // The page's language, from Django's JavaScriptCatalog (/jsi18n/); English without it.
  var gettext = window.gettext || function (s) { return s; };
  var ngettext = window.ngettext || function (singular, plural, count) {
    return count === 1 ? singular : plural;
  };
  var interpolate = window.interpolate || function (fmt, obj) {
    // Named placeholders only, as used below: %(count)s.
    return fmt.replace(/%\(\w+\)s/g, function (match) {
      return String(obj[match.slice(2, -2)]);
    });
  };
  if (!("fetch" in window) || !("AbortController" in window)) {
    return;
  }
  var ENDPOINT = "/api/places/";
  var MAX_LENGTH = 100; // gazetteer.MAX_QUERY_LENGTH: longer text is refused
  var DELAY = 150; // ms after the last keystroke

  function enhance(input, number) {
    var id = input.id || "places-" + number;
    var box = document.createElement("div");
    box.className = "places";
    input.parentNode.insertBefore(box, input);
    box.appendChild(input);

    var list = document.createElement("ul");
    list.id = id + "-suggestions";
    list.className = "places__list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", gettext("Suggested places"));
    list.hidden = true;
    box.appendChild(list);

    var status = document.createElement("p");
    status.id = id + "-suggestions-status";
    status.className = "visually-hidden";
    // A live region without role=status: the page's own status ("Use my
    // location") stays the one status there is.
    status.setAttribute("aria-live", "polite");
    status.setAttribute("aria-atomic", "true");
    box.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off"); // the browser's own list would cover ours

    var timer = null;
    var pending = null; // the AbortController of the request in flight
    var active = -1; // index of the highlighted option, -1 for none
    var shownFor = null; // the text the options are for

    function options() {
      return list.querySelectorAll("[role=option]");
    }

    function open() {
      if (options().length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    }

    function close() {
      // An answer still on its way would open the list again after the
      // patient closed it (Escape, Tab, a choice): it is no longer wanted.
      forget();
      highlight(-1);
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function highlight(index) {
      var items = options();
      if (active >= 0 && items[active]) {
        items[active].setAttribute("aria-selected", "false");
        items[active].classList.remove("places__option--active");
      }
      active = index;
      if (index >= 0 && items[index]) {
        items[index].setAttribute("aria-selected", "true");
        items[index].classList.add("places__option--active");
        input.setAttribute("aria-activedescendant", items[index].id);
        // Browsers do not scroll an active descendant into view themselves.
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(item) {
      input.value = item.getAttribute("data-value");
      close();
      list.textContent = "";
      shownFor = null;
      status.textContent = "";
      input.focus();
    }

    function show(results, text) {
      list.textContent = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      results.forEach(function (place, index) {
        var item = document.createElement("li");
        item.id = list.id + "-" + index;
        item.className = "places__option";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        // A ZIP's label is "78701 · Austin, TX"; the search wants the five digits.
        item.setAttribute("data-value", place.kind === "zip" ? place.label.slice(0, 5) : place.label);
        item.textContent = place.label; // text, never markup
        list.appendChild(item);
      });
      shownFor = text;
      var count = results.length;
      status.textContent =
        count === 0
          ? gettext("No suggestions")
          : interpolate(
              ngettext("%(count)s suggestion", "%(count)s suggestions", count),
              { count: count },
              true
            );
      if (count) {
        open();
      } else {
        close();
      }
    }

    function forget() {
      if (pending) {
        pending.abort();
        pending = null;
      }
      clearTimeout(timer);
    }

    function suggest(then) {
      forget();
      var text = input.value.trim();
      if (!text || text.length > MAX_LENGTH) {
        list.textContent = "";
        shownFor = null;
        status.textContent = "";
        close();
        return;
      }
      if (text === shownFor) {
        if (then) then();
        return;
      }
      var controller = new AbortController();
      pending = controller;
      fetch(ENDPOINT + "?q=" + encodeURIComponent(text), {
        method: "GET",
        mode: "same-origin",
        credentials: "omit",
        referrerPolicy: "no-referrer",
        headers: { Accept: "application/json" },
        signal: controller.signal,
      })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (body) {
          // A later keystroke has already asked again: this answer is stale.
          if (pending !== controller || input.value.trim() !== text) return;
          pending = null;
          show(body.results || [], text);
          if (then) then();
        })
        .catch(function () {
          // Aborted, or offline: the field still works as plain text.
        });
    }

    input.addEventListener("input", function () {
      forget();
      highlight(-1);
      timer = setTimeout(suggest, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var count = options().length;
      var isOpen = !list.hidden;
      switch (event.key) {
        case "ArrowDown":
        case "ArrowUp": {
          event.preventDefault();
          var down = event.key === "ArrowDown";
          var move = function () {
            var total = options().length;
            if (!total) return;
            open();
            if (event.altKey) return; // Alt+Down: open without moving
            var next = down ? active + 1 : active - 1;
            if (active < 0) next = down ? 0 : total - 1;
            highlight((next + total) % total);
          };
          if (isOpen && count && input.value.trim() === shownFor) {
            move();
          } else {
            // Asks now (not after the pause) unless the options already match
            // the text: never highlight a suggestion for text since changed.
            suggest(move);
          }
          break;
        }
        case "Enter":
          if (isOpen && active >= 0) {
            event.preventDefault(); // take the suggestion; a second Enter searches
            choose(options()[active]);
          } else if (isOpen) {
            close();
          }
          break;
        case "Escape":
          if (isOpen) {
            event.preventDefault();
            close();
          } else if (input.value) {
            event.preventDefault();
            forget();
            input.value = "";
            shownFor = null;
            status.textContent = "";
          }
          break;
        case "Tab":
          close();
          break;
        case "Home":
        case "End":
        case "ArrowLeft":
        case "ArrowRight":
          highlight(-1); // back to editing the text
          break;
        default:
          break;
      }
    });

    // Keep the focus in the field when an option is pressed, so that the
    // click (a tap on a phone) lands before the blur closes the list.
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    list.addEventListener("click", function (event) {
      var item = event.target.closest("[role=option]");
      if (item) choose(item);
    });

    input.addEventListener("blur", function () {
      forget();
      close();
    });
  }

  var fields = document.querySelectorAll("form.search-form input[name=near]");
  Array.prototype.forEach.call(fields, enhance);
})();
