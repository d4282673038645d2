"""Every page's headings go down one level at a time: an h1, then h2s, then h3s under them.

A jump (h1 straight to h3) is an error for HTML validators and a stumble for
screen-reader users, who move through a page by its headings. tests/test_links.py
checks the same on every page of the crawled demo site.
"""

from html.parser import HTMLParser

import pytest

from tests.every_page import every_kind_of_page

pytestmark = pytest.mark.django_db

HEADINGS = {f"h{level}": level for level in range(1, 7)}


class HeadingParser(HTMLParser):
    """The level and text of each heading, in document order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[int, str]] = []
        self.open: list[str] | None = None  # the text of the heading being read

    def handle_starttag(self, tag, attrs):
        if tag in HEADINGS:
            self.headings.append((HEADINGS[tag], ""))
            self.open = []

    def handle_data(self, data):
        if self.open is not None:
            self.open.append(data)

    def handle_endtag(self, tag):
        if tag in HEADINGS and self.open is not None:
            level, _ = self.headings[-1]
            self.headings[-1] = (level, " ".join("".join(self.open).split()))
            self.open = None


def outline(html: str) -> list[tuple[int, str]]:
    parser = HeadingParser()
    parser.feed(html)
    parser.close()
    return parser.headings


def skipped_levels(html: str) -> list[str]:
    """Each heading more than one level below the one before it (the first must be an h1)."""
    skips = []
    previous, previous_text = 0, "(top of the page)"
    for level, text in outline(html):
        if level > previous + 1:
            skips.append(f'h{level} "{text}" after h{previous or "-"} "{previous_text}"')
        previous, previous_text = level, text
    return skips


def test_the_checker_finds_a_jump_from_h1_to_h3():
    assert skipped_levels("<h1>City</h1><h3>Clinic</h3>") == ['h3 "Clinic" after h1 "City"']
    assert skipped_levels("<h2>No h1 first</h2>") == [
        'h2 "No h1 first" after h- "(top of the page)"'
    ]
    assert skipped_levels("<h1>A</h1><h2>B</h2><h3>C</h3><h2>D</h2><h3>E</h3>") == []


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_page_skips_a_heading_level(client, language):
    pages = every_kind_of_page(client, language)
    skips = {page.name: found for page in pages if (found := skipped_levels(page.html))}
    assert skips == {}
