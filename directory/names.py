"""Provider names folded for search: one rule for the stored key and the words typed.

How a name search matches (ProviderQuerySet.named() runs it):

- Both sides are folded the same way: lower-case (casefold), accents stripped
  ("Clínica" is "clinica"), "&" read as "and", apostrophes dropped
  ("O'Neil's" is "oneils"), every other run of punctuation or spaces a break
  between words ("Mind-Body" is "mind body").
- In what a patient types, "and" (or "&") only joins words, so it is left out
  when there are others: "mind & body", "mind and body" and "mind-body" all
  find both "Mind & Body" and "Mind-Body Wellness".
- Each provider stores its folded name in `Provider.name_search`, with a space
  before every word: " aspen mind and body ketamine clinic". Provider.save(),
  the migration that added it and the demo's bulk seeding fill it.
- A search word matches the start of any word of the name, so the search
  looks for " word" anywhere in the key: "mind bod" finds "Mind & Body".
  Several words must all match, in any order ("clinic aspen" finds it too).
- The same LIKE '% word%' runs on SQLite and PostgreSQL, so both give the same
  answers; on PostgreSQL a pg_trgm GIN index on the key answers it without
  reading every row (migration 0011). Folded words hold only letters and
  digits, never a LIKE wildcard or a quote, so the pattern is written into the
  statement (directory.models.NameWordStarts says why) and anything else refused.

Full-text search would stem words ("clinics" → "clinic") differently from
anything SQLite can do, and trigram similarity would rank near-misses that
SQLite could not find; plain word prefixes are what a patient typing part of a
name expects, on both databases.
"""

import re
import unicodedata

MAX_NAME_QUERY_LENGTH = 100
MAX_NAME_WORDS = 8

# Letters that Unicode does not take apart into a base letter and an accent.
LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
APOSTROPHES = re.compile(r"['’ʼ`´]")
BREAKS = re.compile(r"[\W_]+")
# What name_words() gives: letters and digits, nothing else (never a LIKE wildcard).
FOLDED_WORD = re.compile(r"[^\W_]+")


def name_words(text: str) -> list[str]:
    """The words of `text` folded for a name search (see the module's docstring)."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(LETTERS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = APOSTROPHES.sub("", text.replace("&", " and "))
    return BREAKS.sub(" ", text).split()


def query_words(text: str) -> list[str]:
    """The words a name search looks for in `text`: each once, "and" only if alone."""
    words = list(dict.fromkeys(name_words(text)))
    return [word for word in words if word != "and"] or words


def name_key(name: str) -> str:
    """What Provider.name_search stores for `name`: each folded word after a space."""
    return "".join(f" {word}" for word in name_words(name))
