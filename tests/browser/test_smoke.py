from playwright.sync_api import expect


def test_home_page_opens(page, site_url):
    page.goto(site_url + "/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Find ketamine treatment you can trust")
