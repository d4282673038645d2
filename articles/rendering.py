"""Article Markdown → sanitised HTML, with citation markers linked both ways.

Editors cite with `[cite:3]`, or `[cite:7,8]` for several at once. Each marker
becomes a superscript link to `#ref-3` with its own id (`cite-3-a`, `cite-3-b`
for the second place citation 3 is used …); the reference list links back to
every one of them.
"""

import re
import string
from dataclasses import dataclass, field
from html import escape, unescape

import nh3
from django.utils.text import slugify
from django.utils.translation import gettext
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

CITE_RE = re.compile(r"\[cite:\s*([0-9]+(?:\s*,\s*[0-9]+)*)\s*\]")
MARKER_WITH_SPACE_RE = re.compile(r"\s*" + CITE_RE.pattern)
HEADING_RE = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>', re.S)
TAG_RE = re.compile(r"<[^>]+>")

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code",
    "pre", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "sup",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "a": {"href", "title"}}


def _slug(text):
    return slugify(CITE_RE.sub("", text)) or "section"


markdown = MarkdownIt("commonmark", {"html": False, "typographer": True}).use(
    anchors_plugin, min_level=2, max_level=4, slug_func=_slug
)
markdown.enable(["table", "replacements", "smartquotes"])


def cited_numbers(body):
    """Every citation number the body's markers use, in order of appearance."""
    return [number for _, numbers in render(body).markers for number in numbers]


def marker_errors(body, positions):
    """Return a message for each marker that points at a citation position that does not exist.

    Markers shown as code (`[cite:9]` in backticks) are examples, not citations.
    """
    positions = set(positions)
    count = len(positions)
    errors = []
    for marker, numbers in render(body).markers:
        missing = [number for number in numbers if number not in positions]
        if not missing:
            continue
        listed = ", ".join(map(str, missing))
        if all(number > count or number < 1 for number in missing):
            have = f"{count} citation{'s' if count != 1 else ''}"
            errors.append(
                f"Marker {marker} points at citation {listed}, but the article has {have}."
            )
        else:
            errors.append(
                f"Marker {marker} points at citation {listed}, but the article has no citation "
                f"{listed} (number them 1, 2, 3 … without gaps)."
            )
    return errors


@dataclass
class Rendered:
    html: str
    toc: list = field(default_factory=list)  # [(id, heading text)]
    backlinks: dict = field(default_factory=dict)  # {"3": ["cite-3-a", "cite-3-b"]}
    markers: list = field(default_factory=list)  # [("[cite:7,8]", [7, 8])]
    text: str = ""  # plain text, headings included, markers left out: what search reads


def render(body, glossary=(), glossary_url="/glossary/"):
    """Render an article body; markers are linked, everything else is sanitised. The
    markers' and tables' labels are in the active language (the text's: see
    ReviewedText.render).

    `glossary` is [(slug, [phrases])]: the first use of each term in the running
    text links to its definition at `glossary_url#slug`.
    """
    html = nh3.clean(
        markdown.render(body),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow",
    )
    # No space is left where a marker was: "eases pain [cite:1]." reads "eases pain."
    text = " ".join(unescape(TAG_RE.sub(" ", MARKER_WITH_SPACE_RE.sub("", html))).split())
    backlinks: dict[str, list[str]] = {}
    markers: list[tuple[str, list[int]]] = []
    # Contents entries are plain text, without the headings' citation markers.
    toc = [
        (anchor, unescape(TAG_RE.sub("", CITE_RE.sub("", text))).strip())
        for anchor, text in HEADING_RE.findall(html)
    ]

    def link(match):
        numbers = [int(n) for n in match.group(1).split(",")]
        markers.append((match.group(0), numbers))
        parts = []
        for number in numbers:
            uses = backlinks.setdefault(str(number), [])
            marker_id = f"cite-{number}-{_letter(len(uses))}"
            uses.append(marker_id)
            text = f"({number})" if len(numbers) == 1 else str(number)
            label = gettext("Reference %(number)s") % {"number": number}
            parts.append(
                f'<a href="#ref-{number}" id="{marker_id}" class="cite" '
                f'aria-label="{escape(label)}">{text}</a>'
            )
        if len(parts) == 1:
            return f'<sup class="cites">{parts[0]}</sup>'
        return f'<sup class="cites">({", ".join(parts)})</sup>'

    # Markers are replaced after sanitising: the HTML they become is ours.
    html = _outside_code(html, lambda text: CITE_RE.sub(link, text))
    if glossary:
        html = link_terms(html, glossary, glossary_url)
    # A table wider than a phone scrolls in its own box, which keyboard users can focus.
    html = html.replace(
        "<table>",
        '<div class="table-scroll" role="region" aria-label="'
        + escape(gettext("Table"))
        + '" tabindex="0"><table>',
    ).replace("</table>", "</table></div>")
    return Rendered(html, toc, backlinks, markers, text)


# Text inside these is never linked: links, code, headings, citation markers, and
# tables, where a lone word in a cell would make a link too small to tap, and bold
# text, which is where an article defines a word itself.
UNLINKED_TAGS = {"a", "code", "pre", "h2", "h3", "h4", "sup", "table", "strong"}
TAG_NAME_RE = re.compile(r"<(/?)([a-z0-9]+)")


def link_terms(html, glossary, glossary_url):
    """Link the first use of each glossary term in the running text to its definition.

    Abbreviations (a phrase in capitals such as "IV") match only in capitals, so
    "iv" inside a sentence stays plain; other phrases match in any case. Text is
    matched as readers see it (entities decoded, apostrophes straight or curly)
    and escaped again around the links.
    """
    phrases = {_key(phrase): (slug, phrase) for slug, names in glossary for phrase in names}
    if not phrases:
        return html
    alternatives = "|".join(
        re.escape(p).replace("'", "['’]") for p in sorted(phrases, key=len, reverse=True)
    )
    pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.I)
    linked = set()

    def link_text(escaped):
        text, pieces, last = unescape(escaped), [], 0
        for match in pattern.finditer(text):
            slug, phrase = phrases[_key(match.group(0))]
            if slug in linked or (phrase.isupper() and match.group(0) != phrase):
                continue
            linked.add(slug)
            pieces += [
                escape(text[last : match.start()], quote=False),
                f'<a href="{glossary_url}#{slug}" class="term">'
                f"{escape(match.group(0), quote=False)}</a>",
            ]
            last = match.end()
        if not pieces:
            return escaped  # nothing linked: the sanitiser's escaping stays as it was
        return "".join(pieces) + escape(text[last:], quote=False)

    pieces, depth = [], 0
    for piece in re.split(r"(<[^>]+>)", html):
        tag = TAG_NAME_RE.match(piece)
        if tag and tag.group(2) in UNLINKED_TAGS:
            depth += -1 if tag.group(1) else 1
        elif not tag and depth == 0 and piece:
            piece = link_text(piece)
        pieces.append(piece)
    return "".join(pieces)


def _key(phrase):
    return phrase.lower().replace("’", "'")


def _letter(index):
    """a, b, … z, aa, ab, …: the back-link labels of one reference."""
    letters = string.ascii_lowercase
    return letters[index] if index < 26 else _letter(index // 26 - 1) + letters[index % 26]


def _outside_code(html, transform):
    """Apply `transform` to the HTML except inside <code> and <pre> blocks."""
    pieces = re.split(r"(<(?:pre|code)>.*?</(?:pre|code)>)", html, flags=re.S)
    return "".join(piece if i % 2 else transform(piece) for i, piece in enumerate(pieces))
