"""The Content-Security-Policy breaks nothing: Chromium reports no violation.

The policy allows no inline script or style, so anything inline left in a
template (ours, the admin's or django-import-export's) would show up here as
a violation, and whatever it did would silently stop working.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from articles.models import Article
from directory.models import Location, Provider
from tests.browser.conftest import EDITOR

# Collects every violation the page reports, from the first byte on.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile || document.location.href}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def violations(page):
    """Every policy problem the browser reports, from events and from the console."""
    seen = []
    page.add_init_script(RECORD_VIOLATIONS)
    # Chromium also warns here about a Permissions-Policy feature it does not know.
    page.on(
        "console",
        lambda message: (
            any(
                policy in message.text
                for policy in ("Content Security Policy", "Permissions-Policy")
            )
            and seen.append(f"console: {message.text}")
        ),
    )
    return seen


def visit(page, url, violations):
    """Open `url`, let it settle, and return the violations it reported."""
    response = page.goto(url)
    assert response.status < 500, f"{url}: HTTP {response.status}"
    assert "Content-Security-Policy" in {name.title() for name in response.headers}
    page.wait_for_load_state("networkidle")
    return violations + page.evaluate("window.__cspViolations")


def published_provider():
    location = Location.objects.filter(provider__status=Provider.Status.PUBLISHED).order_by("pk")
    return location.select_related("provider").first()


def test_public_pages_report_no_csp_violations(page, site_url, violations):
    here = published_provider()
    article = Article.objects.published().order_by("pk").first()
    for path in [
        "/",
        f"/clinics/?near={here.zip}&radius=100",
        "/clinics/?near=Springfeld",
        here.provider.get_absolute_url(),
        article.get_absolute_url(),
        "/saved/",
        "/no-such-page/",
    ]:
        assert visit(page, site_url + path, violations) == [], path
    # The search page's script ran: it shows the "Use my location" button.
    page.goto(f"{site_url}/clinics/?near={here.zip}")
    expect(page.get_by_role("button", name="Use my location")).to_be_visible()
    # So did the profile's: "Copy link" and "Save" show only once they can work.
    page.goto(site_url + here.provider.get_absolute_url())
    expect(page.get_by_role("button", name="Copy link to this page")).to_be_visible()
    expect(page.get_by_role("button", name="Save this provider")).to_be_visible()


def test_admin_pages_report_no_csp_violations_for_an_editor(page, site_url, violations):
    assert visit(page, site_url + reverse("admin:login"), violations) == []
    page.get_by_label("Username").fill(EDITOR["username"])
    page.get_by_label("Password").fill(EDITOR["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Site administration")

    provider = published_provider().provider
    article = Article.objects.order_by("pk").first()
    for url_name, args in [
        ("admin:index", []),
        ("admin:directory_provider_changelist", []),
        ("admin:directory_provider_change", [provider.pk]),
        ("admin:directory_provider_add", []),
        ("admin:directory_provider_import", []),
        ("admin:articles_article_change", [article.pk]),
    ]:
        url = site_url + reverse(url_name, args=args)
        assert visit(page, url, violations) == [], url_name

    # The admin's own scripts still run: the autocomplete widget asks the server
    # (connect-src) and lists what it found.
    page.goto(site_url + reverse("admin:directory_provider_change", args=[provider.pk]))
    page.locator(".field-treatments .select2-search__field").fill("e")
    expect(page.locator(".select2-results__option").first).to_be_visible()
    expect(page.locator(".select2-results__option").first).not_to_have_text("Searching…")
    assert violations + page.evaluate("window.__cspViolations") == []
