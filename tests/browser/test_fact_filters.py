"""On a phone: the payment, price, language, psychotherapy and sort filters, without JavaScript
needed, kept across pages, and free of accessibility violations."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from directory.models import Location
from tests.browser.test_accessibility import run_axe, summarise
from tests.browser.test_phone_and_keyboard import PHONE, TARGETS_JS


@pytest.fixture
def browser_context_args(browser_context_args):
    # axe-core goes in as an inline script (see test_accessibility.py).
    return {**browser_context_args, **PHONE, "bypass_csp": True}


@pytest.fixture
def busy_zip():
    """The ZIP of the published site with the most published sites within 250 miles."""
    location = Location.objects.filter(provider__status="published").order_by("pk").first()
    return location.zip


def filters_form(page):
    page.get_by_text("More filters").click()
    page.get_by_label("Self-pay").check()
    page.get_by_label("HSA or FSA").check()
    page.get_by_label("Highest price per session").fill("1000")
    page.get_by_label("Staff speak").select_option("es")
    page.get_by_label("Only providers with ketamine-assisted psychotherapy").check()
    page.get_by_label("Sort by").select_option("price")


@pytest.mark.parametrize("javascript", [True, False])
def test_a_patient_filters_by_payment_price_language_and_kap(
    browser, site_url, busy_zip, axe_source, javascript
):
    context = browser.new_context(**PHONE, bypass_csp=True, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{site_url}/clinics/?near={busy_zip}&radius=250")
    filters_form(page)
    page.get_by_role("button", name="Search", exact=True).click()
    # Until the new page arrives, the old one is loaded already: wait for its address.
    page.wait_for_url(re.compile(r"[?&]max_price=1000"))

    query = parse_qs(urlsplit(page.url).query)
    assert query["payment"] == ["self-pay", "hsa-fsa"]
    assert query["max_price"] == ["1000"]
    assert query["language"] == ["es"]
    assert query["kap"] == ["1"]
    assert query["sort"] == ["price"]
    # The choices stay chosen, in a panel left open.
    expect(page.locator("details.more-filters")).to_have_attribute("open", "")
    expect(page.get_by_label("Self-pay")).to_be_checked()
    expect(page.get_by_label("Highest price per session")).to_have_value("1000")
    expect(page.get_by_label("Staff speak")).to_have_value("es")
    expect(page.get_by_label("Sort by")).to_have_value("price")
    heading = page.locator("#clinics-heading")
    expect(heading).to_contain_text("within 250 miles")
    if javascript:
        result = run_axe(page, axe_source)
        assert result["passes"]
        assert result["violations"] == [], summarise(result["violations"])
        small = page.evaluate(TARGETS_JS)
        assert small == [], small
    context.close()


def test_a_bad_price_is_explained_next_to_its_field(page, site_url, busy_zip, axe_source):
    page.goto(f"{site_url}/clinics/?near={busy_zip}")
    page.get_by_text("More filters").click()
    page.get_by_label("Highest price per session").fill("-20")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()

    expect(page.get_by_role("alert")).to_contain_text("Enter a whole number of dollars")
    price = page.get_by_label("Highest price per session")
    expect(price).to_be_visible()  # the panel is open at the error
    expect(price).to_have_value("-20")  # nothing the patient typed is lost
    expect(page.locator("#id_max_price_error")).to_contain_text("whole number of dollars")
    result = run_axe(page, axe_source)
    assert result["violations"] == [], summarise(result["violations"])
