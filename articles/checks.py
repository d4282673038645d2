"""The editorial checks of an article: reading grade, claims, numbers and references.

One function, `check()`, used by `manage.py check_content` and by the admin when
an editor publishes. It works on plain values (no database), so a draft on a form
is checked exactly like a saved article. Errors block publishing; warnings are
shown but do not.
"""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from typing import Literal, Protocol

import textstat

from articles.rendering import CITE_RE, markdown

MAX_GRADE = 8.0

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    level: Level
    field: str  # the form field it belongs to: body, summary, key_points, citations …
    message: str
    position: int | None = None  # the reference's number, for findings about one


@dataclass(frozen=True)
class Readability:
    grade: float  # Flesch-Kincaid grade level
    smog: float
    words: int


class Reference(Protocol):
    position: int
    text: str
    url: str
    doi: str
    pmid: str


@dataclass
class Content:
    """What the checks read of an article (a saved one, or one on the admin's form)."""

    title: str
    summary: str
    key_points: str
    body: str
    citations: list[Reference]
    last_reviewed: date | None
    next_review: date | None


# ---------------------------------------------------------------- the body's prose

BLOCK_TAGS = {"p", "li", "td", "th"}
SKIPPED_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "pre", "code"}


HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


class _Blocks(HTMLParser):
    """Collect the text of each paragraph, list item and table cell, skipping code and,
    unless asked for, headings: a heading is not a sentence, and counting it as one
    flatters the grade."""

    def __init__(self, headings: bool = False) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._current: list[str] = []
        self._skipping = 0
        self._block_tags = BLOCK_TAGS | HEADING_TAGS if headings else BLOCK_TAGS
        self._skipped_tags = SKIPPED_TAGS - self._block_tags

    def _flush(self) -> None:
        text = " ".join("".join(self._current).split())
        if text:
            self.blocks.append(text)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._skipped_tags:
            self._skipping += 1
        elif tag in self._block_tags:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._skipped_tags:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._block_tags:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._current.append(data)


def blocks(body: str, headings: bool = False) -> list[str]:
    """The body's paragraphs, list items and table cells (and headings, if asked) as plain
    text, markers included."""
    parser = _Blocks(headings)
    parser.feed(markdown.render(body))
    parser.close()
    parser._flush()
    return parser.blocks


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WORD = re.compile(r"\w")


def sentences(body: str) -> list[str]:
    """The body's sentences for the readability formulas: markers removed, and each
    block ending one (a list item without a full stop is still a sentence)."""
    found = []
    for block in blocks(body):
        text = " ".join(CITE_RE.sub("", block).split())
        if not text:
            continue
        text = text if text[-1] in ".!?:;" else text + "."
        found += [sentence for sentence in SENTENCE_END.split(text) if WORD.search(sentence)]
    return found


def prose(body: str) -> str:
    """The body as running text, as the readability formulas read it."""
    return " ".join(sentences(body))


def readability(body: str) -> Readability:
    """Flesch-Kincaid grade and SMOG index of the body's prose.

    The published formulas, with textstat counting words, syllables (from the CMU
    pronouncing dictionary) and words of three or more syllables. Sentences are
    counted here: textstat's counter drops "sentences" of one or two words, which
    is what a list of side effects is made of, and so overstates a list's grade.
    """
    found = sentences(body)
    text = " ".join(found)
    words = int(textstat.lexicon_count(text))
    if not words:
        return Readability(grade=0.0, smog=0.0, words=0)
    syllables = int(textstat.syllable_count(text))
    polysyllables = int(textstat.polysyllabcount(text))
    count = len(found)
    return Readability(
        grade=0.39 * words / count + 11.8 * syllables / words - 15.59,
        smog=1.043 * math.sqrt(polysyllables * 30 / count) + 3.1291,
        words=words,
    )


# ---------------------------------------------------------------- claims

NEGATION = re.compile(
    r"\b(?:not|no|never|nor|none|nobody|cannot|without|isn[’']t|aren[’']t|can[’']t|won[’']t|"
    r"doesn[’']t|don[’']t|didn[’']t)\b",
    re.I,
)
# A sentence that reports someone else's promise is a warning to readers, not a claim.
REPORTED = re.compile(r"\b(?:promis\w*|claim\w*|red flags?|beware|wary|advertis\w*)\b", re.I)
QUOTED = "\"“”'‘’"


@dataclass(frozen=True)
class Claim:
    pattern: re.Pattern[str]
    message: str
    negation_allowed: bool = True


CLAIMS = [
    Claim(
        re.compile(r"\bcur(?:e|es|ed|ing)\b", re.I),
        "“{word}” promises a cure; ketamine treats symptoms, and results vary.",
    ),
    Claim(
        re.compile(r"\bguarantee(?:s|d)?\b", re.I),
        "“{word}” promises a result no treatment can guarantee.",
    ),
    Claim(
        re.compile(
            r"\bnon-?addictive\b|\bnot (?:habit-forming|addictive)\b|"
            r"\bno risk of (?:addiction|dependence|misuse)\b",
            re.I,
        ),
        "“{word}” is not true of ketamine: repeated use can lead to misuse and dependence.",
        negation_allowed=False,
    ),
]
FDA_APPROVED = re.compile(
    r"\bFDA[- ]approved\b|\bapproved by the (?:FDA|Food and Drug Administration)\b", re.I
)
KETAMINE = re.compile(r"\bketamine\b", re.I)
ESKETAMINE = re.compile(r"\besketamine\b|\bspravato\b", re.I)
DEPRESSION = re.compile(r"\bdepress", re.I)


def _claim_sentences(text: str) -> list[str]:
    """Sentences within each block (paragraph, list item, heading) of Markdown `text`:
    a "not" in one list item or heading never excuses a claim in the next."""
    return [
        sentence
        for block in blocks(text, headings=True)
        for sentence in SENTENCE_END.split(" ".join(CITE_RE.sub("", block).split()))
        if sentence
    ]


def _quoted(sentence: str, start: int, end: int) -> bool:
    """Whether the word at start:end is in quotation marks (“cure”, or “cure.” with the
    full stop inside, as American English puts it)."""
    before, after = sentence[start - 1 : start], sentence[end : end + 2]
    if not before or before not in QUOTED:
        return False
    return bool(after) and (after[0] in QUOTED or (after[0] in ".,;:!?" and after[1:] in QUOTED))


def claims(text: str) -> list[str]:
    """Messages for the claims in Markdown `text` that no health page should make.

    A word counts as a claim unless the sentence denies it before the word ("not a
    cure"), quotes it (a “cure”), or reports someone else's promise ("clinics that
    promise a cure").
    """
    found = []
    for sentence in _claim_sentences(text):
        for claim in CLAIMS:
            for match in claim.pattern.finditer(sentence):
                if _quoted(sentence, match.start(), match.end()):
                    continue
                if REPORTED.search(sentence):
                    continue
                if claim.negation_allowed and NEGATION.search(sentence[: match.start()]):
                    continue
                found.append(claim.message.format(word=match.group(0)))
        approved = FDA_APPROVED.search(sentence)
        if (
            approved
            and KETAMINE.search(sentence)
            and DEPRESSION.search(sentence)
            and not ESKETAMINE.search(sentence)
            and not NEGATION.search(sentence[: approved.start()])
        ):
            found.append(
                "Ketamine itself is not FDA-approved for depression; only esketamine "
                "(Spravato) is, for treatment-resistant depression: “"
                + (sentence if len(sentence) <= 120 else sentence[:117] + "…")
                + "”"
            )
    return found


# ---------------------------------------------------------------- numbers

# Helplines and phone numbers are not figures that need a source.
NOT_FIGURES = re.compile(
    r"\b1-\d{3}-\d{3}-\d{4}\b|\(?\b\d{3}\)?[-. ]\d{3}-\d{4}\b|\b(?:988|911)\b|\bpress \d\b",
    re.I,
)
FIGURE = re.compile(r"\d|\bpercent\b", re.I)


def uncited_figures(body: str) -> list[str]:
    """The paragraphs and list items that state a number without a citation marker."""
    found = []
    for block in blocks(body):
        if CITE_RE.search(block):
            continue
        if FIGURE.search(NOT_FIGURES.sub("", block)):
            found.append(block if len(block) <= 100 else block[:97] + "…")
    return found


# ---------------------------------------------------------------- references

YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")


def reference_findings(citations: Iterable[Reference], today: date) -> list[Finding]:
    """Errors for references readers cannot check or that cannot be right."""
    findings = []
    for citation in citations:
        label, position = f"Reference {citation.position}", citation.position
        messages = []
        if not (citation.doi or citation.pmid or citation.url):
            messages.append(
                f"{label} has no DOI, PubMed ID or web address: readers cannot check it."
            )
        if citation.doi and not DOI.match(citation.doi):
            messages.append(f"{label}: “{citation.doi}” is not a DOI (they start with 10.).")
        future = [int(year) for year in YEAR.findall(citation.text) if int(year) > today.year]
        if future:
            messages.append(f"{label} is dated {future[0]}, which is in the future.")
        findings += [Finding("error", "citations", message, position) for message in messages]
    return findings


# ---------------------------------------------------------------- all of it


def check(content: Content, today: date) -> tuple[Readability, list[Finding]]:
    """The article's reading level and what stands in the way of publishing it."""
    findings: list[Finding] = []

    def add(level: Level, field: str, messages: Iterable[str]) -> None:
        findings.extend(Finding(level, field, message) for message in messages)

    reading = readability(content.body)
    if reading.grade > MAX_GRADE:
        add(
            "error",
            "body",
            [
                f"The text reads at grade {reading.grade:.1f} (Flesch–Kincaid); published "
                f"articles read at grade {MAX_GRADE:.0f} or lower. Shorter sentences and "
                "everyday words bring it down."
            ],
        )
    for field in ("title", "summary", "body"):
        add("error", field, claims(getattr(content, field)))
    # One key point a line, each its own statement.
    add(
        "error", "key_points", (m for line in content.key_points.splitlines() for m in claims(line))
    )
    if not content.key_points.strip():
        add("error", "key_points", ["Published articles open with key points."])
    add(
        "warning",
        "body",
        (f"A number without a citation: “{block}”" for block in uncited_figures(content.body)),
    )
    findings += reference_findings(content.citations, today)
    if content.next_review is not None and content.next_review < today:
        due = f"{content.next_review:%B} {content.next_review.day}, {content.next_review.year}"
        add("warning", "next_review", [f"The medical review was due on {due}."])
    return reading, findings
