"""Whole journeys a patient or an editor takes, in Chromium against the live server.

Each test follows one path through the site the way a person would: by labels,
buttons and links, reading what the page shows. The data is the seeded demo
directory, so the tests pick real clinics from the database rather than guess.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from directory.models import Location, Provider
from tests.browser.conftest import EDITOR

DISTANCE_RE = re.compile(r"^(\d+(?:\.\d+)?) mi$")
NEW_CLINIC = "Journey Test Clinic"


def published_locations(**filters):
    """Published, geocoded demo locations matching `filters`, oldest first."""
    return (
        Location.objects.filter(
            provider__status=Provider.Status.PUBLISHED, latitude__isnull=False, **filters
        )
        .select_related("provider")
        .order_by("pk")
    )


def first_location(**filters):
    return published_locations(**filters).first()


def busiest_location(condition, radius=50):
    """The published location of a clinic treating `condition` with the most such neighbours.

    A search there lists several clinics at several distances, so "nearest first"
    has something to prove.
    """
    treating = Provider.objects.published().filter(conditions__slug=condition)
    return max(
        published_locations(provider__conditions__slug=condition),
        key=lambda here: (treating.near((here.latitude, here.longitude), radius).count(), -here.pk),
    )


def clinic_cards(page):
    """The result cards of the clinics list (not the at-home list below it)."""
    return page.get_by_role("region", name=re.compile(r"clinics? (within|in) ")).get_by_role(
        "article"
    )


def distances(page):
    """The distances the clinic cards show, in page order, as numbers of miles."""
    texts = clinic_cards(page).locator(".result__distance").all_inner_texts()
    return [float(DISTANCE_RE.match(text.strip()).group(1)) for text in texts]


def query(page):
    return parse_qs(urlsplit(page.url).query)


def test_home_search_lists_ptsd_clinics_nearest_first_and_opens_a_clinic_page(page, site_url):
    here = busiest_location("ptsd")
    page.goto(site_url + "/")
    page.get_by_label("Condition").select_option(label="PTSD")
    page.get_by_label("Location").fill(here.zip)
    page.get_by_role("button", name="Search").click()

    expect(page).to_have_url(re.compile(r"/clinics/\?"))
    assert query(page)["condition"] == ["ptsd"]
    assert query(page)["near"] == [here.zip]
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ketamine clinics near")
    # Every card shows how far away it is, and the list runs nearest first.
    expect(clinic_cards(page).first).to_be_visible()
    shown = distances(page)
    assert len(shown) == clinic_cards(page).count() > 1
    assert shown == sorted(shown), shown
    # The searched ZIP is this clinic's own, so the nearest one is right there.
    assert shown[0] < 1

    card = clinic_cards(page).first
    # The heading starts with the card's number on the map ("1."); the link is the name.
    expect(card.get_by_role("heading")).to_contain_text("1.")
    link = card.get_by_role("heading").get_by_role("link")
    name = link.inner_text()
    link.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    provider = Provider.objects.get(slug=urlsplit(page.url).path.split("/")[-2])
    location = provider.locations.order_by("pk").first()
    address = page.locator("address").first
    expect(address).to_contain_text(location.address1)
    expect(address).to_contain_text(f"{location.city}, {location.state_id} {location.zip}")
    phone = page.get_by_role("link", name=provider.phone, exact=True).first
    expect(phone).to_have_attribute("href", re.compile(r"^tel:\+1"))
    # The link dials the number shown (RFC 3966 allows the dashes between groups).
    dialled = re.sub(r"\D", "", phone.get_attribute("href"))
    assert dialled == "1" + re.sub(r"\D", "", provider.phone)
    website = page.get_by_role("link", name=provider.website, exact=True)
    expect(website).to_have_attribute("href", provider.website)


def test_use_my_location_searches_around_the_browsers_position(new_context, site_url):
    here = first_location()
    context = new_context(
        geolocation={"latitude": here.latitude, "longitude": here.longitude},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(site_url + "/clinics/")
    page.get_by_role("button", name="Use my location").click()

    expect(page).to_have_url(re.compile(r"[?&]lat=.*&lng=|[?&]lng=.*&lat="))
    expect(page.get_by_role("heading", level=1)).to_contain_text("(your location)")
    expect(clinic_cards(page).first).to_be_visible()
    # The browser stands at a clinic's door: the nearest result is right there,
    # and that clinic is listed at 0.0 mi.
    assert distances(page)[0] < 1
    card = clinic_cards(page).filter(has=page.get_by_role("link", name=here.provider.name))
    expect(card.locator(".result__distance")).to_have_text("0.0 mi")


def test_use_my_location_refused_says_so_and_the_zip_still_works(new_context, site_url):
    here = first_location()
    # No geolocation permission: the browser refuses, as when a person says "Block".
    page = new_context().new_page()
    page.goto(site_url + "/clinics/")
    page.get_by_role("button", name="Use my location").click()

    status = page.get_by_role("status")
    expect(status).to_have_text(
        "We couldn't get your location. Type a ZIP code or City, ST instead."
    )
    # The script hands focus to the ZIP field, so the person can type right away.
    location = page.get_by_label("Location")
    expect(location).to_be_focused()
    expect(page.get_by_role("button", name="Use my location")).to_be_enabled()
    location.fill(here.zip)
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page).to_have_url(re.compile(r"/clinics/\?.*near="))
    assert query(page)["near"] == [here.zip]
    # The refused attempt left no stale position behind (blank lat= is dropped).
    assert "lat" not in query(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ketamine clinics near")
    expect(clinic_cards(page).first).to_be_visible()


def test_article_citation_jumps_to_its_reference_and_back_then_cta_searches(page, site_url):
    here = first_location(provider__conditions__slug="chronic-pain")
    page.goto(site_url + "/articles/ketamine-for-pain-management/")
    marker = page.locator("#cite-3-a")
    reference = page.locator("#ref-3")
    # The reference list is far below the first marker: the jump has to scroll.
    expect(reference).not_to_be_in_viewport()

    marker.scroll_into_view_if_needed()
    expect(marker).to_have_text("(3)")
    expect(marker).to_have_attribute("href", "#ref-3")
    marker.click()
    expect(reference).to_be_in_viewport()
    expect(page).to_have_url(re.compile(r"#ref-3$"))
    expect(marker).not_to_be_in_viewport()

    reference.locator('a[href="#cite-3-a"]').click()
    expect(marker).to_be_in_viewport()
    expect(page).to_have_url(re.compile(r"#cite-3-a$"))

    cta = page.get_by_role("region", name="Find ketamine treatment for chronic pain near you")
    cta.get_by_label("ZIP code or City, ST").fill(here.zip)
    cta.get_by_role("button", name="Find treatment").click()

    expect(page).to_have_url(re.compile(r"/clinics/\?"))
    assert query(page)["condition"] == ["chronic-pain"]
    assert query(page)["near"] == [here.zip]
    condition = page.get_by_label("Condition")
    expect(condition).to_have_value("chronic-pain")
    expect(condition.locator("option:checked")).to_have_text("Chronic pain")
    expect(page.get_by_label("Location")).to_have_value(here.zip)


def log_in_as_editor(page):
    page.get_by_label("Username").fill(EDITOR["username"])
    page.get_by_label("Password").fill(EDITOR["password"])
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def close_new_clinic_afterwards(page, site_url):
    yield
    # On PostgreSQL the live server commits the clinic outside this test's
    # transaction, so it would outlive the test. Editors cannot delete
    # providers; they close them, which hides them from patients again.
    for pk in Provider.objects.filter(name=NEW_CLINIC).values_list("pk", flat=True):
        page.goto(f"{site_url}/admin/directory/provider/{pk}/change/")
        if "/admin/login/" in page.url:
            log_in_as_editor(page)
        page.get_by_label("Status:").select_option(label="Closed")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".messagelist .success")).to_be_visible()


def test_editor_adds_a_clinic_without_coordinates_and_patients_find_it_by_zip(
    page, site_url, close_new_clinic_afterwards
):
    page.goto(site_url + "/admin/")
    log_in_as_editor(page)

    page.get_by_role("link", name="Providers", exact=True).click()
    page.get_by_role("link", name="Add provider").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add provider")

    page.get_by_label("Name:", exact=True).fill(NEW_CLINIC)
    page.get_by_label("Name:", exact=True).blur()
    slug = page.get_by_label("Slug:")
    # The admin's JavaScript writes the slug from the name.
    expect(slug).to_have_value("journey-test-clinic")
    page.get_by_label("Status:").select_option(label="Published")

    inline = page.locator("#locations-0")
    inline.get_by_label("Address:", exact=True).fill("100 Congress Ave")
    inline.get_by_label("City:").fill("Austin")
    inline.get_by_label("State:").select_option(label="Texas")
    inline.get_by_label("ZIP:").fill("78701")
    expect(inline.get_by_label("Latitude:")).to_have_value("")
    expect(inline.get_by_label("Longitude:")).to_have_value("")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist .success")).to_contain_text(
        f"The provider “{NEW_CLINIC}” was added successfully."
    )
    expect(page.locator(".messagelist .warning")).to_have_count(0)

    page.goto(site_url + "/clinics/?near=78701")
    # It was placed at the centre of ZIP 78701, so it is listed, 0.0 mi away.
    card = clinic_cards(page).filter(has=page.get_by_role("link", name=NEW_CLINIC))
    expect(card).to_have_count(1)
    expect(card.locator(".result__distance")).to_have_text("0.0 mi")
    expect(card).to_contain_text("100 Congress Ave, Austin, TX 78701")
