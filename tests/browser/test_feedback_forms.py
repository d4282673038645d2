"""The public's forms in a real browser: on a phone, by keyboard alone, and clean for axe-core.

Report a problem, suggest a provider and report a mistake in an article (the
practice's update form has its own module). The live server runs in this
process, so `settings` reaches it.
"""

import re

import pytest
from playwright.sync_api import expect

from directory.models import Provider
from directory.submissions import Submission
from tests.browser.test_accessibility import run_axe, summarise
from tests.browser.test_phone_and_keyboard import FOCUS_JS, OVERFLOW_JS, PHONE, TARGETS_JS


@pytest.fixture(autouse=True)
def quick_people(settings):
    # A test types faster than a person; the fill-time check has its own tests.
    settings.FORM_MIN_FILL_SECONDS = 0


def report_path():
    provider = Provider.objects.published().order_by("pk").first()
    return provider, f"/providers/{provider.slug}/report/"


@pytest.fixture
def phone(new_context):
    return new_context(**PHONE).new_page()


@pytest.fixture
def axe_page(new_context):
    # axe-core goes in as an inline script, which the site's CSP rightly refuses.
    return new_context(bypass_csp=True).new_page()


ARTICLE = "/articles/ketamine-for-ptsd/"


def form_paths():
    return {
        "report": report_path()[1],
        "suggest": "/suggest/",
        "article report": f"{ARTICLE}report/",
    }


@pytest.mark.parametrize("name", ["report", "suggest", "article report"])
def test_phone_form_fits_the_screen_with_big_enough_targets(phone, site_url, name):
    phone.goto(site_url + form_paths()[name])
    width = PHONE["viewport"]["width"]
    measured = phone.evaluate(OVERFLOW_JS, width)
    assert measured["scrollWidth"] <= width, measured
    offenders = phone.evaluate(TARGETS_JS)
    assert offenders == [], "\n".join(offenders)


def test_phone_report_by_touch_reaches_the_thank_you_page(phone, site_url):
    provider, path = report_path()
    phone.goto(site_url + path)
    phone.get_by_label("The phone number is wrong").tap()
    phone.get_by_label("Details").fill("The number is disconnected.")
    phone.get_by_role("button", name="Send report").tap()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Thank you")
    report = Submission.objects.get(provider=provider, details="The number is disconnected.")
    assert report.problem == "phone"
    report.delete()


def test_a_reader_reports_a_mistake_from_the_article_by_touch(phone, site_url):
    phone.goto(site_url + ARTICLE)
    phone.get_by_role("link", name="Report a mistake in this article").tap()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Report a mistake in")
    phone.get_by_role("button", name="Send report").tap()  # nothing chosen: sent back
    expect(phone.get_by_role("alert")).to_contain_text("Not sent yet")
    expect(phone.locator("#id_details_error")).to_contain_text("Tell us what is wrong")
    phone.get_by_label("A reference is wrong or its link does not work").tap()
    phone.get_by_label("Details").fill("The link for reference 2 goes to a missing page.")
    phone.get_by_role("button", name="Send report").tap()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Thank you")
    report = Submission.objects.get(details__startswith="The link for reference 2")
    assert (report.kind, report.problem, report.page) == ("article", "source", ARTICLE)
    report.delete()


def test_keyboard_alone_files_a_report_with_focus_always_visible(page, site_url):
    provider, path = report_path()
    page.goto(site_url + path)
    page.get_by_label("It has closed").focus()
    # Radios: arrows move the choice within the group, as a keyboard user expects.
    page.keyboard.press("ArrowDown")
    focused = page.evaluate(FOCUS_JS)
    assert focused["id"] == "id_problem_1", focused
    assert focused["visible"], focused
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS_JS)["id"] == "id_details"
    page.keyboard.type("Rings out; no answer on three days.")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS_JS)["id"] == "id_email"
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUS_JS)
    # The honeypot is skipped: the next stop is the button.
    assert (focused["tag"], focused["text"]) == ("button", "Send report"), focused
    assert focused["visible"], focused
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")
    report = Submission.objects.get(provider=provider, details__startswith="Rings out")
    assert report.problem == "phone"
    report.delete()


def test_keyboard_alone_fixes_an_error_and_sends_a_suggestion(page, site_url):
    page.goto(site_url + "/suggest/")
    page.get_by_label("Name of the clinic or service").focus()
    page.keyboard.type("Harbor Light Ketamine")
    page.keyboard.press("Enter")  # no state yet: sent back with the error by its field
    expect(page.get_by_role("alert")).to_contain_text("Not sent yet")
    state = page.get_by_label("State")
    expect(state).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_state_error")).to_contain_text("Choose the state")
    expect(page.get_by_label("Name of the clinic or service")).to_have_value(
        "Harbor Light Ketamine"
    )
    state.focus()
    state.select_option("ME")
    for expected in ["id_phone", "id_details", "id_email"]:
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_JS)["id"] == expected
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUS_JS)
    assert (focused["tag"], focused["text"]) == ("button", "Send suggestion"), focused
    assert focused["visible"], focused
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")
    item = Submission.objects.get(provider_name="Harbor Light Ketamine")
    assert item.state == "ME"
    item.delete()


def test_forms_and_their_pages_have_no_accessibility_violation(axe_page, site_url, axe_source):
    page = axe_page
    provider, _ = report_path()
    failures = {}

    def check(name):
        result = run_axe(page, axe_source)
        assert result["passes"], f"axe checked nothing on {name}"
        assert page.locator("h1").count() == 1, name
        if result["violations"]:
            failures[name] = summarise(result["violations"])

    for name, form_path in form_paths().items():
        page.goto(site_url + form_path)
        check(name)
        page.locator("form button[type=submit]").click()  # empty: errors shown
        expect(page.get_by_role("alert")).to_be_visible()
        check(f"{name} with errors")
    page.goto(f"{site_url}/providers/{provider.slug}/report/sent/")
    check("report thank-you")
    page.goto(f"{site_url}/suggest/sent/")
    check("suggest thank-you")
    page.goto(f"{site_url}{ARTICLE}report/sent/")
    check("article report thank-you")
    assert failures == {}, "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())


def update_path():
    provider = Provider.objects.published().exclude(phone="").order_by("pk").first()
    return provider, f"/providers/{provider.slug}/update/"


def test_phone_update_form_fits_the_screen_with_big_enough_targets(phone, site_url):
    _, path = update_path()
    phone.goto(site_url + path)
    width = PHONE["viewport"]["width"]
    measured = phone.evaluate(OVERFLOW_JS, width)
    assert measured["scrollWidth"] <= width, measured
    offenders = phone.evaluate(TARGETS_JS)
    assert offenders == [], "\n".join(offenders)


def test_keyboard_alone_proposes_an_update_with_focus_always_visible(page, site_url):
    provider, path = update_path()
    page.goto(site_url + path)
    page.get_by_label("Phone", exact=True).focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("(512) 555-0177")
    # On through every control of the form to "Your name", each stop visibly focused.
    stops = 0
    while True:
        page.keyboard.press("Tab")
        stops += 1
        focused = page.evaluate(FOCUS_JS)
        assert focused["visible"], focused
        assert focused["id"] != "id_homepage", "the honeypot must not take the focus"
        if focused["id"] == "id_your_name":
            break
        assert stops < 400, f"never reached 'Your name' (at {focused})"
    page.keyboard.type("Dana Reyes")
    page.keyboard.press("Tab")
    page.keyboard.type("Practice manager")
    page.keyboard.press("Tab")
    page.keyboard.type("dana@unrelated-mail.example")
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUS_JS)
    assert (focused["tag"], focused["text"]) == ("button", "Send the update"), focused
    page.keyboard.press("Enter")
    # The form's own page has a heading too: wait for the URL, which only the sent page has.
    expect(page).to_have_url(re.compile(r"/update/sent/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    proposal = Submission.objects.get(provider=provider, submitter_name="Dana Reyes")
    assert proposal.changes == {"phone": "(512) 555-0177"}
    assert proposal.confirmation == "unconfirmed"
    proposal.delete()


def test_update_form_has_no_accessibility_violation(axe_page, site_url, axe_source):
    page = axe_page
    _, path = update_path()
    failures = {}
    page.goto(site_url + path)
    for state in ["blank", "with errors"]:
        result = run_axe(page, axe_source)
        assert result["passes"]
        assert page.locator("h1").count() == 1
        if result["violations"]:
            failures[state] = summarise(result["violations"])
        page.get_by_role("button", name="Send the update").click()
        expect(page.get_by_role("alert")).to_be_visible()
    assert failures == {}, "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())
