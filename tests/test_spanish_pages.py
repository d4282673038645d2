"""Every kind of page under /es/ is in Spanish: no interface text left in English.

Two nets: the English of every message in the catalogue must not show on a Spanish
page (a msgid missing from the catalogue, or not translated, comes out in English),
and common English words must not either (text that was never marked). Text marked
lang="en" is exempt: references, and article titles not translated yet. So are proper
names (providers, places, people), which the cast below keeps free of such words.
"""

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from directory.models import State
from tests.every_page import every_kind_of_page

pytestmark = pytest.mark.django_db

# Words that are not Spanish and turn up in any English sentence (not "at" or "clinic":
# the cast's names have them, as "Lone Star Ketamine at Home" does).
ENGLISH = re.compile(
    r"\b(?:the|and|you|your|with|near|this|that|from|what|which|please|are|is|our|we|of|"
    r"to|in|on|or|by|it|be|for|not|providers?|search|find|report|email|phone|price|"
    r"session|results?|references?|table)\b",
    re.I,
)
READ_ATTRIBUTES = {"aria-label", "alt", "placeholder", "title"}
SKIPPED = {"script", "style"}
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class SpanishText(HTMLParser):
    """The text a reader or a screen reader meets, leaving out what is marked as English."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool]] = []  # (tag, exempt)
        self.parts: list[str] = []

    def exempt(self):
        return any(exempt for _tag, exempt in self.stack)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        exempt = tag in SKIPPED or (values.get("lang") or "es")[:2] != "es"
        if not (exempt or self.exempt()):
            self.parts += [values[name] for name in READ_ATTRIBUTES if values.get(name)]
        if tag not in VOID:
            self.stack.append((tag, exempt))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self.exempt():
            self.parts.append(data)

    @classmethod
    def of(cls, html):
        parser = cls()
        # The <html lang="es"> itself is the page's language, not an exemption.
        parser.feed(html)
        return " ".join(" ".join(parser.parts).split())


def english_messages() -> list[str]:
    """The English of every message in the Spanish catalogue that has words to find."""
    found = []
    for domain in ("django", "djangojs"):
        catalogue = Path(settings.BASE_DIR) / f"locale/es/LC_MESSAGES/{domain}.po"
        entries = subprocess.run(
            ["msgattrib", "--no-wrap", "--no-obsolete", str(catalogue)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for msgid, msgstr in re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', entries, re.M):
            text = re.sub(r"<[^>]+>|%\(\w+\)s|%s|\{\{[^}]*\}\}", " ", msgid.replace('\\"', '"'))
            words = text.split()
            if len(words) >= 3 and msgid != msgstr:
                found.append(" ".join(words))
    return found


@pytest.fixture(scope="module")
def catalogue_english():
    return english_messages()


def test_spanish_pages_show_no_english(client, catalogue_english):
    problems = {}
    for page in every_kind_of_page(client, "es"):
        text = SpanishText.of(page.html)
        leftovers = [message for message in catalogue_english if message in text]
        # U.S. places keep their names ("District of Columbia").
        for state in State.objects.values_list("name", flat=True):
            text = text.replace(state, "")
        # Not acronyms in capitals ("CC BY 4.0", "IV"): only words as sentences use them.
        words = sorted({m.group(0) for m in ENGLISH.finditer(text) if not m.group(0).isupper()})
        if leftovers or words:
            problems[page.name] = {"messages": leftovers[:5], "words": words, "url": page.url}
    assert problems == {}


def test_the_net_catches_english(client, catalogue_english):
    # Guards the test above: an English message and an unmarked English word are found,
    # and what is marked lang="en" is not.
    text = SpanishText.of(
        '<p>Find treatment near you</p><p lang="en">Ketamine for OCD</p><p>Hola</p>'
        '<img alt="A clinic">'
    )
    assert text == "Find treatment near you Hola A clinic"
    assert ENGLISH.search(text)
    assert catalogue_english, "the catalogue has no messages"
