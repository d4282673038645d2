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
from functools import lru_cache
from html.parser import HTMLParser
from typing import Literal, Protocol

import silabeador
import textstat

from articles.rendering import CITE_RE, markdown

MAX_GRADE = 8.0
# Fernández Huerta's scale puts 60 to 70 at "normal (para adulto)", grades 7 and 8: the
# Spanish counterpart of MAX_GRADE.
MIN_FERNANDEZ_HUERTA = 60.0

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

    def describe(self) -> str:
        return f"grade {self.grade:.1f}, SMOG {self.smog:.1f}"


@dataclass(frozen=True)
class SpanishReadability:
    fernandez_huerta: float  # 0 to 100, higher is easier; 60 to 70 is grades 7 and 8
    inflesz: float  # Szigriszt-Pazos perspicuity; 55 to 65 is "normal"
    words: int

    def describe(self) -> str:
        return f"Fernández Huerta {self.fernandez_huerta:.1f}, INFLESZ {self.inflesz:.1f}"


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
    language: str = "en"  # "es": Spanish readability formulas and claim words


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


SPANISH_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@lru_cache(maxsize=20_000)  # silabeador reads its list of exceptions on every call
def _spanish_syllables(word: str) -> int:
    try:
        return len(silabeador.syllabify(word))
    except TypeError:
        # silabeador's exceptions for Latin endings fail on words such as "midazolam"
        # and "chat"; its plain rules divide them right.
        return len(silabeador.syllabify(word, exceptions=0))


def spanish_readability(body: str) -> SpanishReadability:
    """Fernández Huerta's readability and Szigriszt-Pazos' perspicuity (INFLESZ) of
    the body's prose.

    Fernández Huerta (1959) as corrected by Law (2011), which is what Spanish
    readability tools use: 206.84 - 60 * syllables per word - 1.02 * words per
    sentence (textstat's version counts sentences per word, so more, shorter
    sentences lower its score). Szigriszt-Pazos (1993): 206.835 - 62.3 * syllables
    per word - words per sentence. silabeador divides the words into syllables by
    the rules of Spanish spelling (textstat's hyphenation dictionary reads "día"
    and "leer" as one syllable).
    """
    found = sentences(body)
    words = SPANISH_WORD.findall(" ".join(found))
    if not words:
        return SpanishReadability(fernandez_huerta=0.0, inflesz=0.0, words=0)
    syllables = sum(_spanish_syllables(word) for word in words)
    per_word, per_sentence = syllables / len(words), len(words) / len(found)
    return SpanishReadability(
        fernandez_huerta=206.84 - 60 * per_word - 1.02 * per_sentence,
        inflesz=206.835 - 62.3 * per_word - per_sentence,
        words=len(words),
    )


# ---------------------------------------------------------------- claims


@dataclass(frozen=True)
class Claim:
    pattern: re.Pattern[str]
    message: str
    negation_allowed: bool = True


CURE = "“{word}” promises a cure; ketamine treats symptoms, and results vary."
GUARANTEE = "“{word}” promises a result no treatment can guarantee."
NOT_ADDICTIVE = "“{word}” is not true of ketamine: repeated use can lead to misuse and dependence."


@dataclass(frozen=True)
class ClaimRules:
    """The words of one language that make or excuse a claim."""

    claims: list[Claim]
    # Before the word, it denies the claim ("not a cure").
    negation: re.Pattern[str]
    # A sentence that reports someone else's promise is a warning to readers, not a claim.
    reported: re.Pattern[str]
    fda_approved: re.Pattern[str]
    ketamine: re.Pattern[str]
    esketamine: re.Pattern[str]
    depression: re.Pattern[str]


CLAIM_RULES = {
    "en": ClaimRules(
        claims=[
            Claim(re.compile(r"\bcur(?:e|es|ed|ing)\b", re.I), CURE),
            Claim(re.compile(r"\bguarantee(?:s|d)?\b", re.I), GUARANTEE),
            Claim(
                re.compile(
                    r"\bnon-?addictive\b|\bnot (?:habit-forming|addictive)\b|"
                    r"\bno risk of (?:addiction|dependence|misuse)\b",
                    re.I,
                ),
                NOT_ADDICTIVE,
                negation_allowed=False,
            ),
        ],
        negation=re.compile(
            r"\b(?:not|no|never|nor|none|nobody|cannot|without|isn[’']t|aren[’']t|can[’']t|"
            r"won[’']t|doesn[’']t|don[’']t|didn[’']t)\b",
            re.I,
        ),
        reported=re.compile(r"\b(?:promis\w*|claim\w*|red flags?|beware|wary|advertis\w*)\b", re.I),
        fda_approved=re.compile(
            r"\bFDA[- ]approved\b|\bapproved by the (?:FDA|Food and Drug Administration)\b", re.I
        ),
        ketamine=re.compile(r"\bketamine\b", re.I),
        esketamine=re.compile(r"\besketamine\b|\bspravato\b", re.I),
        depression=re.compile(r"\bdepress", re.I),
    ),
    "es": ClaimRules(
        claims=[
            Claim(re.compile(r"\bcura(?:n|r|rá|rán|do|da|dos|das)?\b", re.I), CURE),
            Claim(re.compile(r"\bgarantiz\w*|\bgarantía", re.I), GUARANTEE),
            Claim(
                re.compile(
                    r"\bno (?:es |son )?adictiv[oa]s?\b|"
                    r"\bno crea (?:adicción|dependencia|hábito)\b|"
                    r"\bsin (?:ningún )?riesgo de (?:adicción|dependencia|abuso)\b",
                    re.I,
                ),
                NOT_ADDICTIVE,
                negation_allowed=False,
            ),
        ],
        negation=re.compile(
            r"\b(?:no|nunca|jamás|ni|sin|tampoco|nadie|ningún|ninguna|ninguno)\b", re.I
        ),
        reported=re.compile(
            r"\b(?:promet\w*|promesas?|anunci\w*|señales? de alerta|desconf\w*|cuidado)\b",
            re.I,
        ),
        fda_approved=re.compile(
            r"\baprobad[oa]s? por la (?:FDA|Administración de Alimentos y Medicamentos)\b|"
            r"\bla FDA (?:la |lo )?(?:ha )?aprob\w*",
            re.I,
        ),
        ketamine=re.compile(r"\bketamina\b", re.I),
        esketamine=re.compile(r"\besketamina\b|\bspravato\b", re.I),
        depression=re.compile(r"\bdepresi", re.I),
    ),
}
QUOTED = "\"“”'‘’«»"


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


def claims(text: str, language: str = "en") -> list[str]:
    """Messages for the claims in Markdown `text` that no health page should make.

    A word counts as a claim unless the sentence denies it before the word ("not a
    cure"), quotes it (a “cure”), or reports someone else's promise ("clinics that
    promise a cure").
    """
    rules = CLAIM_RULES[language]
    found = []
    for sentence in _claim_sentences(text):
        for claim in rules.claims:
            for match in claim.pattern.finditer(sentence):
                if _quoted(sentence, match.start(), match.end()):
                    continue
                if rules.reported.search(sentence):
                    continue
                if claim.negation_allowed and rules.negation.search(sentence[: match.start()]):
                    continue
                found.append(claim.message.format(word=match.group(0)))
        approved = rules.fda_approved.search(sentence)
        if (
            approved
            and rules.ketamine.search(sentence)
            and rules.depression.search(sentence)
            and not rules.esketamine.search(sentence)
            and not rules.negation.search(sentence[: approved.start()])
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
    r"\b1-\d{3}-\d{3}-\d{4}\b|\(?\b\d{3}\)?[-. ]\d{3}-\d{4}\b|\b(?:988|911)\b|"
    r"\b(?:press|oprima|marque) (?:el )?\d\b",
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


def check(content: Content, today: date) -> tuple[Readability | SpanishReadability, list[Finding]]:
    """The text's reading level and what stands in the way of publishing it."""
    findings: list[Finding] = []

    def add(level: Level, field: str, messages: Iterable[str]) -> None:
        findings.extend(Finding(level, field, message) for message in messages)

    reading: Readability | SpanishReadability
    if content.language == "es":
        reading = spanish_readability(content.body)
        if reading.fernandez_huerta < MIN_FERNANDEZ_HUERTA:
            add(
                "error",
                "body",
                [
                    f"The text scores {reading.fernandez_huerta:.1f} on Fernández Huerta's "
                    f"scale; published Spanish texts score {MIN_FERNANDEZ_HUERTA:.0f} or more "
                    "(grades 7–8). Shorter sentences and everyday words raise it."
                ],
            )
    else:
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
    language = content.language
    for field in ("title", "summary", "body"):
        add("error", field, claims(getattr(content, field), language))
    # One key point a line, each its own statement.
    add(
        "error",
        "key_points",
        (m for line in content.key_points.splitlines() for m in claims(line, language)),
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
