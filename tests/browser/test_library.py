"""The education library in Chromium: every new page axe-clean on a phone and a desktop,
fitting a phone's width, and the glossary links, key points and crisis box working."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import run_axe, summarise
from tests.browser.test_phone_and_keyboard import OVERFLOW_JS, PHONE, TARGETS_JS

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PAGES = {
    "article index": "/articles/",
    "article search": "/articles/?q=nasal+spray",
    "article search, nothing found": "/articles/?q=zzzz",
    "article search, too long": "/articles/?q=" + "x" * 101,
    "glossary": "/glossary/",
    "condition article with the crisis box": "/articles/ketamine-for-ocd/",
    "guide with a table": "/articles/ketamine-routes-compared/",
    "guide about the rules": "/articles/at-home-ketamine-and-the-rules/",
    "condition page": "/conditions/ptsd/",
}
SIZES = {"phone": PHONE, "desktop": DESKTOP}


@pytest.mark.parametrize("size", SIZES)
def test_library_pages_are_axe_clean(new_context, site_url, axe_source, size):
    page = new_context(bypass_csp=True, **SIZES[size]).new_page()
    failures = {}
    for name, path in PAGES.items():
        page.goto(site_url + path)
        result = run_axe(page, axe_source)
        assert result["passes"], f"axe checked nothing on {name}"
        if result["violations"]:
            failures[name] = summarise(result["violations"])
    assert failures == {}, "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())


@pytest.mark.parametrize("name", PAGES)
def test_library_page_fits_a_phone_with_big_enough_targets(new_context, site_url, name):
    phone = new_context(**PHONE).new_page()
    phone.goto(site_url + PAGES[name])
    width = PHONE["viewport"]["width"]
    measured = phone.evaluate(OVERFLOW_JS, width)
    assert measured["scrollWidth"] <= width, measured
    offenders = phone.evaluate(TARGETS_JS)
    assert offenders == [], "\n".join(offenders)


def test_article_opens_with_key_points_and_the_crisis_box_then_links_terms(page, site_url):
    page.goto(site_url + "/articles/ketamine-for-ptsd/")
    key_points = page.get_by_role("region", name="Key points")
    expect(key_points).to_be_visible()
    assert key_points.get_by_role("listitem").count() >= 3
    crisis = page.get_by_role("region", name="In crisis? Help is there now")
    expect(crisis).to_contain_text("988")
    expect(crisis).to_contain_text("press 1")
    expect(crisis.get_by_role("link", name="chat online")).to_be_visible()
    # Both come before the article's text.
    body_top = page.locator(".article__body").bounding_box()["y"]
    assert key_points.bounding_box()["y"] < body_top
    assert crisis.bounding_box()["y"] < body_top
    expect(page.locator(".dates")).to_contain_text("Next review due")

    term = page.locator(".article__body a.term").first
    name = term.inner_text()
    term.click()
    expect(page).to_have_url(re.compile(r"/glossary/#"))
    entry = page.locator(".glossary__entry:target")
    expect(entry).to_be_visible()
    expect(entry.locator("dt")).to_contain_text(name, ignore_case=True)


def test_pain_article_has_no_crisis_box(page, site_url):
    page.goto(site_url + "/articles/ketamine-for-pain-management/")
    expect(page.get_by_role("region", name="Key points")).to_be_visible()
    expect(page.locator("#crisis")).to_have_count(0)


def test_searching_the_articles_by_keyboard_shows_highlighted_results(page, site_url):
    page.goto(site_url + "/articles/")
    search = page.get_by_role("searchbox", name="Search the articles")
    search.focus()
    page.keyboard.type("bladder")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2).first).to_contain_text("about “bladder”")
    first = page.locator(".article-list li").first
    expect(first.locator("mark").first).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search the articles")).to_have_value("bladder")


def test_condition_page_leads_with_its_article_then_the_providers(page, site_url):
    page.goto(site_url + "/conditions/ptsd/")
    lead = page.locator(".condition-article")
    title = "Ketamine for PTSD: What We Know So Far"
    expect(lead.get_by_role("heading", level=2)).to_have_text(title)
    expect(lead.get_by_role("heading", name="Key points")).to_be_visible()
    finder = page.get_by_role("heading", name="Find a clinic near you")
    assert lead.bounding_box()["y"] < finder.bounding_box()["y"]
    lead.get_by_role("link", name="Read the full article").click()
    expect(page).to_have_url(site_url + "/articles/ketamine-for-ptsd/")
