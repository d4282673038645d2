"""A patient on a phone, and a patient with only a keyboard, can find a clinic.

Phone: a 390 by 844 px touch screen (an iPhone 12 to 15). Nothing scrolls sideways, the
search filters can be reached and used, and every control is a big enough tap
target (WCAG 2.2 SC 2.5.8: at least 24 by 24 CSS px).
Keyboard: skip link, search form, results and a provider page, with the focus
visible on every stop.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from directory.filters import treatment_choices
from directory.models import Location

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PAIN_ARTICLE = "/articles/ketamine-for-pain-management/"
PHONE_PAGES = ["home", "results", "provider", "pain article"]

# Every control a finger can hit. Links inside running text are judged in JS
# (see in_sentence) because SC 2.5.8 exempts them.
TARGETS_JS = """() => {
  const words = (text) => (text.match(/[A-Za-z0-9]{2,}/g) || []).length;
  // SC 2.5.8's "inline" exception: a link whose size is set by the line of
  // text it sits in. Kept narrow: only a plain (display: inline) <a> whose
  // paragraph, list item or definition (a <sup> counts as the sentence around
  // it) has at least three words of its own outside any link. A <p>, <li> or
  // <dd> holding a lone link (a phone number, "Directions", a related article)
  // is not a sentence, so it must be a 24×24 target like a button.
  const inSentence = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    let block = el.parentElement;
    if (block.tagName === "SUP") block = block.parentElement;
    if (!["P", "LI", "DD"].includes(block.tagName)) return false;
    const own = block.cloneNode(true);
    own.querySelectorAll("a").forEach((link) => link.remove());
    return words(own.textContent) >= 3;
  };
  const offenders = [];
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility({ visibilityProperty: true }) || inSentence(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width < 24 || box.height < 24) {
      const name = (el.innerText || el.value || el.name || "").trim().replace(/\\s+/g, " ");
      offenders.push(`<${el.tagName.toLowerCase()}> "${name.slice(0, 60)}" ` +
        `${box.width.toFixed(1)}×${box.height.toFixed(1)} px`);
    }
  }
  return offenders;
}"""

# What is wider than the screen, to say where a sideways scroll comes from.
OVERFLOW_JS = """(screenWidth) => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  culprits: [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > screenWidth + 0.5)
    .slice(-5)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ` +
      `right edge ${el.getBoundingClientRect().right.toFixed(0)} px`),
})"""

# Where the keyboard focus is, and whether a sighted person can see it.
FOCUS_JS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== "none";
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    type: el.type || "",
    text: (el.innerText || el.value || el.name || "").trim().slice(0, 40),
    href: el.getAttribute("href") || "",
    classes: el.className,
    resultName: Boolean(el.closest(".result__name")),
    visible: outline || shadow,
    outline: `${style.outlineStyle} ${style.outlineWidth}`,
  };
}"""


def clinic_zip(treatment=None):
    """The ZIP of a published clinic (offering `treatment`), so searches there find it."""
    locations = Location.objects.filter(provider__status="published").order_by("pk")
    if treatment:
        locations = locations.filter(provider__treatments__slug=treatment)
    return locations.first().zip


def phone_path(name):
    location = Location.objects.filter(provider__status="published").order_by("pk").first()
    return {
        "home": "/",
        "results": f"/clinics/?near={location.zip}&radius=250",
        "provider": location.provider.get_absolute_url(),
        "pain article": PAIN_ARTICLE,
    }[name]


@pytest.fixture
def phone(new_context):
    return new_context(**PHONE).new_page()


@pytest.mark.parametrize("name", PHONE_PAGES)
def test_phone_pages_do_not_scroll_sideways(phone, site_url, name):
    response = phone.goto(site_url + phone_path(name))
    assert response.ok
    width = PHONE["viewport"]["width"]
    measured = phone.evaluate(OVERFLOW_JS, width)
    # A phone browser widens its layout to fit content wider than the screen,
    # so innerWidth alone would grow with the overflow: hold both to the screen.
    assert measured["scrollWidth"] <= width, measured
    assert measured["scrollWidth"] <= measured["innerWidth"] == width, measured


@pytest.mark.parametrize("name", PHONE_PAGES)
def test_phone_tap_targets_are_at_least_24_px(phone, site_url, name):
    phone.goto(site_url + phone_path(name))
    # Open the search's extra filters where there are any: their checkboxes are targets too.
    for summary in phone.locator("details:not([open]) > summary").all():
        summary.tap()
    offenders = phone.evaluate(TARGETS_JS)
    report = "\n".join(offenders)
    assert offenders == [], f"{len(offenders)} targets under 24×24 px on {name}:\n{report}"


def test_phone_search_filters_can_be_reached_and_used(phone, site_url):
    zip_code = clinic_zip()
    phone.goto(f"{site_url}/clinics/?near={zip_code}&radius=250")
    form = phone.locator("#search-form")
    condition = form.get_by_label("Condition")
    location = form.get_by_label("Location")
    distance = form.get_by_label("Distance")
    more = form.locator("summary", has_text="More filters")
    for control in (condition, location, distance, more):
        control.scroll_into_view_if_needed()
        expect(control).to_be_in_viewport()
        box = control.bounding_box()
        assert box["x"] >= 0, (control, box)
        assert box["x"] + box["width"] <= PHONE["viewport"]["width"], (control, box)

    condition.select_option("depression")
    location.tap()
    location.fill(zip_code)
    distance.select_option("100")
    more.tap()
    treatment = form.get_by_role("group", name="Treatment").get_by_role("checkbox").first
    accepting = form.get_by_label("Only providers accepting new patients")
    for checkbox in (treatment, accepting):
        checkbox.scroll_into_view_if_needed()
        expect(checkbox).to_be_in_viewport()
        checkbox.tap()
        expect(checkbox).to_be_checked()
    search = form.get_by_role("button", name="Search")
    search.scroll_into_view_if_needed()
    with phone.expect_navigation():
        search.tap()

    query = parse_qs(urlsplit(phone.url).query)
    assert query["treatment"] == [treatment.get_attribute("value")]
    assert query["accepting"] == ["1"]
    assert query["condition"] == ["depression"]
    assert query["radius"] == ["100"]


def test_phone_results_are_one_tap_from_the_top(phone, site_url):
    phone.goto(f"{site_url}/clinics/?near={clinic_zip()}&radius=250")
    heading = phone.locator("#clinics-heading")
    # The search form fills the first screen; the link past it is on it.
    expect(heading).not_to_be_in_viewport()
    skip = phone.get_by_role("link", name="Skip to the results")
    expect(skip).to_be_in_viewport()

    skip.tap()

    expect(heading).to_be_in_viewport()
    assert phone.url.endswith("#clinics-heading")


def test_wide_results_page_shows_the_link_past_the_form_only_to_the_keyboard(page, site_url):
    page.goto(f"{site_url}/clinics/?near={clinic_zip()}&radius=250")
    skip = page.get_by_role("link", name="Skip to the results")
    # Beside the form the results are in sight: the link is there for the keyboard alone.
    expect(skip).not_to_be_in_viewport()
    form = page.locator("#search-form")
    top = form.bounding_box()["y"]

    skip.focus()

    expect(skip).to_be_in_viewport()
    assert page.evaluate(FOCUS_JS)["visible"]
    assert form.bounding_box()["y"] == top  # shown over the page, not moving it
    page.keyboard.press("Enter")
    # The next Tab starts from the results, not from the form.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.search-results') !== null")


def test_keyboard_alone_finds_a_provider_with_focus_always_visible(page, site_url):
    # The first treatment in the form is the one Space ticks below; search where it is offered.
    treatment = treatment_choices()[0][0]
    zip_code = clinic_zip(treatment)
    visited = []

    def tab(expected=None):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_JS)
        visited.append(focused)
        assert focused["visible"], f"focus is invisible on {focused}"
        if expected:
            assert expected(focused), focused
        return focused

    page.goto(site_url + "/clinics/")
    tab(lambda f: f["classes"] == "skip-link")
    page.keyboard.press("Enter")
    # <main> takes focus only so the next Tab starts inside it (tabindex=-1, not
    # a control, never in the Tab order); the site hides its outline on purpose.
    assert page.evaluate("document.activeElement.id") == "main"

    tab(lambda f: f["id"] == "id_condition")
    tab(lambda f: f["id"] == "id_near")
    page.keyboard.type(zip_code)
    # "Use my location" shows whenever the browser can locate; step past it.
    if tab()["id"] == "use-my-location":
        tab()
    assert visited[-1]["id"] == "id_radius", visited[-1]
    tab(lambda f: f["id"] == "id_q")
    tab(lambda f: f["tag"] == "summary")
    page.keyboard.press("Enter")
    expect(page.locator("details.more-filters")).to_have_attribute("open", "")
    tab(lambda f: f["type"] == "checkbox" and f["id"].startswith("id_treatment"))
    page.keyboard.press("Space")
    expect(page.locator("#id_treatment_0")).to_be_checked()
    # Through the other filters (payment, price, language …) to the button.
    for _ in range(40):
        if tab()["text"] == "Search":
            break
    else:
        pytest.fail(f"Tab never reached the Search button: {visited[-1]}")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"near={zip_code}.*treatment={treatment}"))

    # The results page: Tab from the top until a result's name has focus.
    for _ in range(80):
        if tab()["resultName"]:
            break
    else:
        pytest.fail("Tab never reached a result's name")
    # The link's own text: the heading also holds the card's number on the map.
    name = page.evaluate("document.activeElement.innerText")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/providers/[\w-]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
