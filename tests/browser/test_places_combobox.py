"""The location field's type-ahead in Chromium: a WAI-ARIA combobox by keyboard and by touch.

Suggestions come from this site only, carry nothing but the typed text (no
cookies, no Referer), and without JavaScript the field is the plain text input.
"""

from contextlib import suppress
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Error, expect

from tests.browser.test_accessibility import run_axe, summarise
from tests.browser.test_phone_and_keyboard import PHONE

DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def field(page):
    return page.get_by_role("combobox", name="Location")


def listbox(page):
    return page.get_by_role("listbox", name="Suggested places")


def status(page):
    return page.locator("#id_near-suggestions-status")


def type_into(page, text):
    location = field(page)
    location.click()
    location.fill("")
    location.press_sequentially(text, delay=30)
    return location


def test_keyboard_chooses_a_city_and_the_search_finds_it(page, site_url):
    page.goto(site_url + "/clinics/")
    location = type_into(page, "St Lo")

    expect(listbox(page)).to_be_visible()
    expect(location).to_have_attribute("aria-expanded", "true")
    expect(location).to_have_attribute("aria-autocomplete", "list")
    expect(location).to_have_attribute("aria-controls", "id_near-suggestions")
    options = listbox(page).get_by_role("option")
    expect(options.first).to_have_text("Saint Louis, MO")
    expect(listbox(page).get_by_role("option", name="Saint Louis Park, MN")).to_have_count(1)
    expect(status(page)).to_have_text(f"{options.count()} suggestions")
    assert location.get_attribute("aria-activedescendant") is None

    page.keyboard.press("ArrowDown")
    expect(location).to_have_attribute("aria-activedescendant", options.nth(0).get_attribute("id"))
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(location).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")  # takes the suggestion; does not search yet

    expect(location).to_have_value("Saint Louis, MO")
    expect(listbox(page)).to_be_hidden()
    expect(location).to_have_attribute("aria-expanded", "false")
    assert urlsplit(page.url).query == ""
    assert page.evaluate("document.activeElement.id") == "id_near"

    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert parse_qs(urlsplit(page.url).query)["near"] == ["Saint Louis, MO"]
    expect(page.locator("h1")).to_have_text("Ketamine clinics near Saint Louis, MO")


@pytest.mark.parametrize(
    ("typed", "value", "heading"),
    [
        ("7870", "78701", "Ketamine clinics near Austin, TX 78701"),
        ("tex", "Texas", "Ketamine clinics near Texas"),
        ("San Juan", "San Juan, PR", "Ketamine clinics near San Juan, PR"),
    ],
)
def test_a_zip_a_state_and_a_territory_fill_what_the_search_understands(
    page, site_url, typed, value, heading
):
    page.goto(site_url + "/")
    location = type_into(page, typed)
    expect(listbox(page).get_by_role("option").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(location).to_have_value(value)
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator(".error-summary")).to_have_count(0)


def test_up_arrow_wraps_to_the_last_suggestion(page, site_url):
    page.goto(site_url + "/clinics/")
    location = type_into(page, "787")
    options = listbox(page).get_by_role("option")
    expect(options).to_have_count(8)
    page.keyboard.press("ArrowUp")
    expect(location).to_have_attribute("aria-activedescendant", options.nth(7).get_attribute("id"))
    page.keyboard.press("ArrowDown")
    expect(location).to_have_attribute("aria-activedescendant", options.nth(0).get_attribute("id"))


def test_escape_closes_the_list_then_clears_the_field(page, site_url):
    page.goto(site_url + "/clinics/")
    location = type_into(page, "Austi")
    expect(listbox(page)).to_be_visible()
    page.keyboard.press("ArrowDown")

    page.keyboard.press("Escape")
    expect(listbox(page)).to_be_hidden()
    expect(location).to_have_attribute("aria-expanded", "false")
    assert location.get_attribute("aria-activedescendant") is None
    expect(location).to_have_value("Austi")  # closing chooses nothing

    page.keyboard.press("ArrowDown")  # opens again on the first suggestion
    expect(listbox(page)).to_be_visible()
    expect(location).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    expect(location).to_have_value("")


def test_an_answer_that_comes_after_escape_does_not_open_the_list_again(page, site_url):
    # On a slow machine or network the suggestions for the last letters typed can
    # still be on their way when the patient presses Down then Escape.
    held = []
    page.route("**/api/places/?q=Austin", lambda route: held.append(route))
    page.goto(site_url + "/clinics/")
    location = type_into(page, "Austi")
    expect(listbox(page)).to_be_visible()
    with page.expect_request("**/api/places/?q=Austin"):
        location.press("n")
    page.keyboard.press("ArrowDown")  # for "Austin": asks now and waits for the answer
    page.keyboard.press("Escape")
    expect(listbox(page)).to_be_hidden()

    for route in held:  # let the answers go
        with suppress(Error):  # the page has already given up on it
            route.continue_()
    # A round trip and a moment more: time for an answer to arrive and be shown.
    page.evaluate("fetch('/ping').then(() => new Promise(r => setTimeout(r, 200)))")
    assert held, "the request for Austin was not held"
    expect(listbox(page)).to_be_hidden()
    expect(location).to_have_attribute("aria-expanded", "false")
    expect(location).to_have_value("Austin")


def test_tab_leaves_without_choosing(page, site_url):
    page.goto(site_url + "/clinics/")
    location = type_into(page, "Austi")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    expect(listbox(page)).to_be_hidden()
    expect(location).to_have_value("Austi")


def test_text_that_matches_nothing_says_so(page, site_url):
    page.goto(site_url + "/clinics/")
    location = type_into(page, "Zzyzzx")
    expect(status(page)).to_have_text("No suggestions")
    expect(listbox(page)).to_be_hidden()
    expect(location).to_have_attribute("aria-expanded", "false")

    location.fill("")
    location.press_sequentially("Guam", delay=30)
    expect(status(page)).to_have_text("1 suggestion")


def test_enter_without_a_highlighted_suggestion_searches_the_typed_text(page, site_url):
    page.goto(site_url + "/clinics/")
    type_into(page, "Austin, TX")
    expect(listbox(page)).to_be_visible()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Ketamine clinics near Austin, TX")


def test_a_tap_on_a_phone_chooses_a_suggestion(new_context, site_url):
    phone = new_context(**PHONE).new_page()
    phone.goto(site_url + "/")
    location = field(phone)
    location.tap()
    location.press_sequentially("Houst", delay=30)
    option = listbox(phone).get_by_role("option", name="Houston, TX")
    expect(option).to_be_visible()
    for box in [o.bounding_box() for o in listbox(phone).get_by_role("option").all()]:
        assert box["height"] >= 44, box
        assert box["x"] >= 0, box
        assert box["x"] + box["width"] <= PHONE["viewport"]["width"], box

    option.tap()
    expect(location).to_have_value("Houston, TX")
    expect(listbox(phone)).to_be_hidden()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Search").tap()
    expect(phone.locator("h1")).to_have_text("Ketamine clinics near Houston, TX")


@pytest.mark.parametrize(
    ("size", "path"), [(PHONE, "/"), (DESKTOP, "/clinics/"), (PHONE, "/clinics/")]
)
def test_no_accessibility_violation_with_the_list_open(
    new_context, site_url, axe_source, size, path
):
    # axe-core goes in as an inline script, which the site's CSP refuses.
    page = new_context(**size, bypass_csp=True).new_page()
    page.goto(site_url + path)
    type_into(page, "San")
    expect(listbox(page).get_by_role("option")).to_have_count(8)
    page.keyboard.press("ArrowDown")
    result = run_axe(page, axe_source)
    assert result["passes"]
    assert result["violations"] == [], summarise(result["violations"])


def test_suggestions_come_from_this_site_with_only_the_typed_text(page, context, site_url):
    requests = []
    page.on("request", lambda request: requests.append(request))
    page.goto(site_url + "/clinics/?near=78701&condition=depression")
    type_into(page, "Austin, T")
    expect(listbox(page).get_by_role("option")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    site = urlsplit(site_url).netloc
    assert [r.url for r in requests if urlsplit(r.url).netloc != site] == []
    asked = [r for r in requests if urlsplit(r.url).path == "/api/places/"]
    assert asked, "no suggestion was asked for"
    for request in asked:
        # Only the text typed so far: not the page's condition, not the earlier ZIP.
        assert set(parse_qs(urlsplit(request.url).query)) == {"q"}, request.url
        headers = request.all_headers()
        assert "cookie" not in headers, headers
        assert "referer" not in headers, headers
    assert parse_qs(urlsplit(asked[-1].url).query)["q"] == ["Austin, T"]
    assert context.cookies() == []


def test_only_the_last_text_typed_is_shown(page, site_url):
    page.goto(site_url + "/clinics/")
    location = field(page)
    location.click()
    location.press_sequentially("Chicago", delay=5)  # faster than the 150 ms pause
    expect(listbox(page).get_by_role("option").first).to_have_text("Chicago, IL")
    location.fill("Denv")
    expect(listbox(page).get_by_role("option").first).to_have_text("Denver, CO")
    expect(listbox(page).get_by_role("option", name="Chicago, IL")).to_have_count(0)


def test_without_javascript_the_field_is_a_plain_text_input(new_context, site_url):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(site_url + "/clinics/")
    location = page.get_by_role("textbox", name="Location")
    location.fill("Austin, TX")
    assert location.get_attribute("role") is None
    assert location.get_attribute("autocomplete") is None
    expect(page.get_by_role("listbox")).to_have_count(0)
    with page.expect_navigation():
        location.press("Enter")
    expect(page.locator("h1")).to_have_text("Ketamine clinics near Austin, TX")
