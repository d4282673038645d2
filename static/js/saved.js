// Saved providers, kept in this browser only.
// The list lives in localStorage under "ketanet:saved" as JSON:
// [{"slug": …, "name": …, "url": "/providers/…/", "saved": "<ISO date>"}, …].
// It is never sent to the server and no cookie is set: the server renders the
// same /saved/ page for everyone and this script fills it in. Without
// JavaScript, or where the browser refuses storage, the "Save" buttons stay
// hidden and /saved/ says that saving needs JavaScript.
(function () {
  "use strict";
  // Messages from Django's JavaScript catalogue (loaded before this script),
  // in the page's language; English as written here if it did not load.
  var gettext = window.gettext || function (text) {
    return text;
  };
  var ngettext = window.ngettext || function (singular, plural, count) {
    return count === 1 ? singular : plural;
  };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (match, name) {
      return String(values[name]);
    });
  };
  var KEY = "ketanet:saved";
  var SLUG = /^[-\w]{1,200}$/;
  var MAX_COMPARED = 4;

  function openStorage() {
    try {
      var store = window.localStorage;
      store.setItem(KEY + ":probe", "1");
      store.removeItem(KEY + ":probe");
      return store;
    } catch (error) {
      return null; // storage disabled, or full
    }
  }

  var store = openStorage();
  if (!store) {
    return;
  }

  // Only a path on this site: whatever is stored is treated as untrusted.
  function sitePath(url) {
    try {
      var parsed = new URL(url, window.location.origin);
      return parsed.origin === window.location.origin ? parsed.pathname : null;
    } catch (error) {
      return null;
    }
  }

  function read() {
    var raw;
    try {
      raw = JSON.parse(store.getItem(KEY) || "[]");
    } catch (error) {
      return [];
    }
    if (!Array.isArray(raw)) {
      return [];
    }
    var seen = {};
    var list = [];
    raw.forEach(function (item) {
      if (!item || typeof item.slug !== "string" || !SLUG.test(item.slug) || seen[item.slug]) {
        return;
      }
      var url = typeof item.url === "string" ? sitePath(item.url) : null;
      if (!url || typeof item.name !== "string") {
        return;
      }
      seen[item.slug] = true;
      list.push({
        slug: item.slug,
        name: item.name.slice(0, 200),
        url: url,
        saved: typeof item.saved === "string" ? item.saved : "",
      });
    });
    return list;
  }

  function write(list) {
    try {
      store.setItem(KEY, JSON.stringify(list));
      return true;
    } catch (error) {
      return false;
    }
  }

  function isSaved(list, slug) {
    return list.some(function (item) {
      return item.slug === slug;
    });
  }

  function say(element, message) {
    if (!element) {
      return;
    }
    element.textContent = "";
    window.setTimeout(function () {
      element.textContent = message;
    }, 50);
  }

  // "Save" toggles: on a profile, and on result cards.
  var toggles = Array.prototype.slice.call(document.querySelectorAll("[data-save-slug]"));
  var saveStatus = document.getElementById("save-status");

  function showToggles() {
    var list = read();
    toggles.forEach(function (button) {
      button.setAttribute("aria-pressed", String(isSaved(list, button.dataset.saveSlug)));
    });
  }

  toggles.forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var slug = button.dataset.saveSlug;
      var name = button.dataset.saveName;
      var list = read(); // afresh: another tab may have changed it
      var saving = !isSaved(list, slug);
      if (saving) {
        list.push({ slug: slug, name: name, url: button.dataset.saveUrl, saved: new Date().toISOString() });
      } else {
        list = list.filter(function (item) {
          return item.slug !== slug;
        });
      }
      if (!write(list)) {
        say(saveStatus, gettext("This browser would not save it: its storage may be full or turned off."));
        return;
      }
      showToggles();
      say(
        saveStatus,
        interpolate(
          saving ? gettext("Saved %(name)s in this browser.") : gettext("Removed %(name)s from your saved providers."),
          { name: name },
          true
        )
      );
    });
  });
  document.querySelectorAll("[data-saved-link]").forEach(function (link) {
    link.hidden = false;
  });

  // The /saved/ page.
  var page = document.getElementById("saved");
  var pageStatus = document.getElementById("saved-status");

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function hiddenText(text) {
    return element("span", "visually-hidden", text);
  }

  function savedOn(iso) {
    var when = new Date(iso);
    if (!iso || isNaN(when.getTime())) {
      return "";
    }
    // "December 1, 2026", or on a Spanish page "1 de diciembre de 2026".
    var locale = document.documentElement.lang === "es" ? "es-US" : "en-US";
    var date = when.toLocaleDateString(locale, { year: "numeric", month: "long", day: "numeric" });
    return interpolate(gettext("Saved on %(date)s"), { date: date }, true);
  }

  function compareUrl(list) {
    var query = new URLSearchParams();
    list.forEach(function (item) {
      query.append("p", item.slug);
    });
    return page.dataset.compareUrl + "?" + query.toString();
  }

  function renderPage(focusAfter) {
    var list = read();
    var heading = document.getElementById("saved-heading");
    var items = document.getElementById("saved-list");
    var compare = document.getElementById("saved-compare");
    var empty = document.getElementById("saved-empty");
    var picking = list.length > MAX_COMPARED;

    heading.textContent = interpolate(
      ngettext("%(count)s saved provider", "%(count)s saved providers", list.length),
      { count: list.length },
      true
    );
    empty.hidden = list.length > 0;
    items.replaceChildren();
    list.forEach(function (item, index) {
      var li = element("li", "card saved-item");
      var title = element("h3", "saved-item__name");
      var link = element("a", "", item.name);
      link.href = item.url;
      title.append(link);
      li.append(title);
      var when = savedOn(item.saved);
      if (when) {
        li.append(element("p", "saved-item__when", when));
      }
      var actions = element("div", "saved-item__actions");
      if (picking) {
        var check = element("div", "check");
        var box = element("input");
        box.type = "checkbox";
        box.name = "p";
        box.value = item.slug;
        box.id = "saved-pick-" + index;
        var label = element("label", "", gettext("Compare"));
        label.htmlFor = box.id;
        label.append(hiddenText(" " + item.name));
        check.append(box, label);
        actions.append(check);
      }
      var remove = element("button", "button button--secondary", gettext("Remove"));
      remove.type = "button";
      remove.append(hiddenText(" " + item.name));
      remove.addEventListener("click", function () {
        write(
          read().filter(function (other) {
            return other.slug !== item.slug;
          })
        );
        say(pageStatus, interpolate(gettext("Removed %(name)s."), { name: item.name }, true));
        renderPage(index);
      });
      actions.append(remove);
      li.append(actions);
      items.append(li);
    });

    compare.replaceChildren();
    if (list.length === 1) {
      compare.append(element("p", "", gettext("Save one more provider to compare them side by side.")));
    } else if (list.length >= 2 && !picking) {
      var button = element(
        "a",
        "button",
        interpolate(gettext("Compare these %(count)s providers"), { count: list.length }, true)
      );
      button.href = compareUrl(list);
      compare.append(button);
    } else if (picking) {
      compare.append(
        element("p", "", gettext("You can compare up to four providers at once: tick two to four of them above, then"))
      );
      var submit = element("button", "button", gettext("Compare the ticked providers"));
      submit.type = "submit";
      compare.append(submit);
    }

    // After a removal, keep the keyboard where it was: on the next item's
    // Remove button, or on the count when the list is now empty.
    if (typeof focusAfter === "number") {
      var buttons = items.querySelectorAll("button");
      var next = buttons[Math.min(focusAfter, buttons.length - 1)];
      (next || heading).focus();
    }
  }

  if (page) {
    document.getElementById("saved-needs-js").hidden = true;
    page.hidden = false;
    renderPage();
  }

  // Saved or removed in another tab: show it here too.
  window.addEventListener("storage", function (event) {
    if (event.key !== KEY && event.key !== null) {
      return;
    }
    showToggles();
    if (page) {
      renderPage();
    }
  });

  showToggles();
})();
