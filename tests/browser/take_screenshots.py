"""`make screenshots`: pictures of the site at desktop and phone widths for the README.

Not part of the test suite (the file name keeps pytest from collecting it);
`make screenshots` runs it explicitly against the same seeded live server.
"""

from pathlib import Path

import pytest

from directory.models import Location, Provider

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def screens():
    clinic = (
        Location.objects.filter(provider__status=Provider.Status.PUBLISHED)
        .order_by("pk")
        .select_related("provider")[0]
    )
    return {
        "home": "/",
        # Below the search form: the conditions and states to browse.
        "home-browse": "/#conditions",
        "results": f"/clinics/?near={clinic.zip}&radius=100",
        "profile": clinic.provider.get_absolute_url(),
        "article": "/articles/ketamine-for-pain-management/",
    }


@pytest.mark.parametrize("size", SIZES)
def test_take_screenshots(browser, site_url, size):
    OUT.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=SIZES[size], device_scale_factor=1)
    page = context.new_page()
    for name, path in screens().items():
        page.goto(site_url + path)
        page.screenshot(path=OUT / f"{name}-{size}.png")
        assert (OUT / f"{name}-{size}.png").stat().st_size > 10_000
    context.close()
