"""axe-core finds no WCAG 2.2 AA violation on any page a patient sees."""

import pytest

from directory.models import Location, Provider

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pages():
    """Every kind of public page, with real data from the demo seeding."""
    clinic = Location.objects.filter(provider__status=Provider.Status.PUBLISHED).order_by("pk")[0]
    state, city = clinic.state_id.lower(), clinic.city_slug
    return {
        "home": "/",
        "results": f"/clinics/?near={clinic.zip}&radius=250",
        "empty results": "/clinics/?near=99950&radius=10&condition=ocd",
        "unknown location": "/clinics/?near=Springfeld",
        "provider profile": clinic.provider.get_absolute_url(),
        "state landing": f"/clinics/{state}/",
        "city landing": f"/clinics/{state}/{city}/",
        "condition": "/conditions/ptsd/",
        "article index": "/articles/",
        "article": "/articles/ketamine-for-pain-management/",
        "person": "/people/corisande-okafor-baird/",
        "editorial policy": "/editorial-policy/",
        "404": "/no-such-page/",
    }


def summarise(violations):
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in violations
    )


def test_no_page_has_an_accessibility_violation(page, site_url, axe_source):
    check_every_page(page, site_url, axe_source, "en")


@pytest.mark.parametrize("width", [390, 1280])
def test_no_spanish_page_has_an_accessibility_violation(page, site_url, axe_source, width):
    page.set_viewport_size({"width": width, "height": 900})
    check_every_page(page, site_url, axe_source, "es")


def check_every_page(page, site_url, axe_source, language):
    prefix = "" if language == "en" else f"/{language}"
    seen_titles = {}
    failures = {}
    for name, path in pages().items():
        page.goto(site_url + prefix + path)
        result = run_axe(page, axe_source)
        assert result["passes"], f"axe checked nothing on {name}"
        if result["violations"]:
            failures[name] = summarise(result["violations"])
        assert page.locator("h1").count() == 1, name
        assert page.locator("html").get_attribute("lang") == language, name
        title = page.title()
        assert title not in seen_titles, f"{name} and {seen_titles.get(title)} share '{title}'"
        seen_titles[title] = name
    assert failures == {}, "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())


@pytest.fixture
def browser_context_args(browser_context_args):
    # axe-core goes in as an inline script, which the site's CSP rightly refuses
    # (tests/browser/test_csp.py checks the policy itself).
    return {**browser_context_args, "bypass_csp": True}


def run_axe(page, axe_source):
    page.add_script_tag(content=axe_source)
    return page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)


def test_the_checker_itself_catches_violations(page, site_url, axe_source):
    # Guards the test above: an unlabelled input, an image without alt text and
    # low-contrast text must all be reported.
    page.goto(site_url + "/")
    page.evaluate(
        """() => {
        const box = document.createElement('div');
        box.innerHTML = '<img src="/static/img/favicon.svg"><input type="text">'
          + '<p style="color:#ccc;background:#fff">faint</p>';
        document.querySelector('main').append(box);
    }"""
    )
    found = {violation["id"] for violation in run_axe(page, axe_source)["violations"]}
    assert {"image-alt", "label", "color-contrast"} <= found
    assert run_axe(page, axe_source)["passes"], "axe ran no rule at all"
