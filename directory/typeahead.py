"""Place suggestions as a patient types: ZIP codes, "City, ST" and states by prefix.

Answers come from a per-process index of the gazetteer, built once from the
Place rows (one query) and then held in memory: sorted keys and bisect find
a prefix's range in microseconds, where a LIKE 'prefix%' query would cost a
round trip per keystroke. load_gazetteer() forgets the index; other processes
see a reloaded gazetteer when they restart, as they already do for
gazetteer.find_place's cache.

Ranking: the gazetteer holds no population, so a place's weight is how many
ZIP codes it has. The postal service gives a city ZIP codes by the mail it
receives, so Houston (about 200) comes before a hamlet of the same prefix
(one), and a state weighs the sum of its ZIP codes. (Published providers
nearby would also rank, but would change with every save and say nothing
where the directory has no clinic yet.) Between places of the same weight
the whole name typed comes first ("York" before "Yorktown"), then the label:
a hamlet named exactly "Palm" does not push Palm Springs out. ZIP codes
are listed in numeric order: a ZIP prefix names an area, and neighbouring
codes are neighbouring places.

Every suggestion's value is something SearchForm's `near` understands: the
five digits of a ZIP, "City, ST", or a state's name.
"""

import bisect
import heapq
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from directory.gazetteer import ABBREVIATIONS, STATE_KEYS, fold
from directory.models import Place
from directory.states import STATES

MAX_SUGGESTIONS = 8

# Digits only, or a ZIP+4 being typed ("78701-12"): a ZIP prefix.
ZIP_PREFIX_RE = re.compile(r"^([0-9]{1,5})(?:[- ]?[0-9]{0,4})?\Z")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A place the patient may mean, and what to show for it."""

    label: str
    kind: Literal["zip", "city", "state"]
    state: str


@dataclass(frozen=True, slots=True)
class _City:
    key: str  # name_key: folded, abbreviations spelt out
    weight: int  # its ZIP codes
    suggestion: Suggestion


@dataclass(frozen=True)
class PlaceIndex:
    """The gazetteer arranged for prefix lookups (build with place_index())."""

    zips: list[str]  # sorted
    zip_suggestions: list[Suggestion]  # in the same order
    city_keys: list[str]  # sorted, with repeats (Springfield is in many states)
    cities: list[_City]  # in the same order
    # (every word-start of the folded name, the code folded, weight, suggestion)
    states: list[tuple[tuple[str, ...], str, int, Suggestion]]


@lru_cache(maxsize=1)
def place_index() -> PlaceIndex:
    """Build (once per process) the index of every ZIP, city and state."""
    rows = Place.objects.values_list("zip", "name", "name_key", "state_id").order_by(
        "name_key", "state_id", "zip"
    )
    zips: list[tuple[str, Suggestion]] = []
    city_rows: list[tuple[str, str, str]] = []
    zip_counts: Counter[tuple[str, str]] = Counter()
    state_counts: Counter[str] = Counter()
    for zip_code, name, name_key, state in rows:
        if zip_code is not None:  # a ZIP code (a city has none)
            zips.append((zip_code, Suggestion(f"{zip_code} · {name}, {state}", "zip", state)))
            zip_counts[(name_key, state)] += 1
            state_counts[state] += 1
        else:
            city_rows.append((name_key, name, state))
    zips.sort(key=lambda item: item[0])
    cities = [
        _City(key, zip_counts[(key, state)], Suggestion(f"{name}, {state}", "city", state))
        for key, name, state in city_rows
    ]
    states = []
    for code, name in STATES.items():
        words = fold(name)
        starts = tuple(" ".join(words[i:]) for i in range(len(words)))
        if words[:2] == ["u", "s"]:  # "U.S. Virgin Islands" is also typed "US Virgin …"
            starts += ("us " + " ".join(words[2:]),)
        states.append((starts, code.lower(), state_counts[code], Suggestion(name, "state", code)))
    return PlaceIndex(
        zips=[zip_code for zip_code, _ in zips],
        zip_suggestions=[suggestion for _, suggestion in zips],
        city_keys=[city.key for city in cities],
        cities=cities,
        states=states,
    )


def forget_place_index() -> None:
    """Drop this process's index (the gazetteer was reloaded)."""
    place_index.cache_clear()
    suggest_places.cache_clear()


# A rank sorts ascending: heavier places first, then whole names, then by label.
Rank = tuple[int, bool, str]


@lru_cache(maxsize=4096)
def suggest_places(text: str) -> tuple[Suggestion, ...]:
    """Return at most MAX_SUGGESTIONS places starting with `text`, the most likely first.

    `text` is a validated query (see PlaceQueryForm); anything that names no
    place gives an empty list.
    """
    # NFKC: the full-width digits of some phone keyboards are plain digits.
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    index = place_index()
    if match := ZIP_PREFIX_RE.match(text):
        prefix = match.group(1)
        start = bisect.bisect_left(index.zips, prefix)
        last = min(start + MAX_SUGGESTIONS, len(index.zips))
        end = bisect.bisect_right(index.zips, prefix + "\x7f", start, last)
        return tuple(index.zip_suggestions[start:end])

    ranked: dict[Suggestion, Rank] = {}

    def offer(suggestion: Suggestion, rank: Rank) -> None:
        if suggestion not in ranked or rank < ranked[suggestion]:
            ranked[suggestion] = rank

    for prefix, codes in _city_readings(text):
        for city, exact in _cities_starting(index, prefix, codes):
            offer(city.suggestion, (-city.weight, not exact, city.suggestion.label))
    if "," not in text:
        typed = " ".join(fold(text))
        for starts, code, weight, suggestion in index.states:
            if typed and (typed == code or any(start.startswith(typed) for start in starts)):
                exact = typed in (code, starts[0])
                offer(suggestion, (-weight, not exact, suggestion.label))
    best = heapq.nsmallest(MAX_SUGGESTIONS, ranked.items(), key=lambda item: item[1])
    return tuple(suggestion for suggestion, _ in best)


def _cities_starting(
    index: PlaceIndex, prefix: str, codes: frozenset[str] | None
) -> list[tuple[_City, bool]]:
    """Return the heaviest cities whose key starts with `prefix` (in `codes`' states), and
    whether each is an exact match."""
    if not prefix:
        return []
    start = bisect.bisect_left(index.city_keys, prefix)
    end = bisect.bisect_right(index.city_keys, prefix + "\x7f")
    exact_end = bisect.bisect_right(index.city_keys, prefix, start, end)
    found: list[tuple[_City, bool]] = []
    for lo, hi, exact in ((start, exact_end, True), (exact_end, end, False)):
        cities = index.cities[lo:hi]
        if codes is not None:
            cities = [city for city in cities if city.suggestion.state in codes]
        heaviest = heapq.nlargest(MAX_SUGGESTIONS, cities, key=lambda city: city.weight)
        found += [(city, exact) for city in heaviest]
    return found


def _city_readings(text: str) -> list[tuple[str, frozenset[str] | None]]:
    """Return (name_key prefix, the states it may be in or None for any) readings of `text`.

    "st lo" is read as "saint lo" (the last word still being typed is read
    both ways: "st" may be "Stockton"); "Austin, T" as Austin in a state
    starting with T; "austin tx" as Austin in Texas, and as a city name.
    """
    if "," in text:
        city, _, state = text.rpartition(",")
        typed = " ".join(fold(state))
        codes = frozenset(
            code
            for code, name in STATES.items()
            if code.lower().startswith(typed) or " ".join(fold(name)).startswith(typed)
        )
        return [(prefix, codes) for prefix in _name_prefixes(city, complete=True)]
    words = fold(text)
    complete = not text[-1:].isalnum()  # "St." and "St " end a word; "St" may go on
    readings: list[tuple[str, frozenset[str] | None]] = [
        (prefix, None) for prefix in _name_prefixes(text, complete=complete)
    ]
    for size in (3, 2, 1):
        if len(words) > size and (code := STATE_KEYS.get(" ".join(words[-size:]))):
            city = " ".join(words[:-size])
            readings += [(p, frozenset([code])) for p in _name_prefixes(city, complete=True)]
    return readings


def _name_prefixes(text: str, *, complete: bool) -> list[str]:
    """The name_key prefixes `text` may stand for."""
    words = [ABBREVIATIONS.get(word, word) for word in fold(text)]
    if not words:
        return []
    prefixes = [" ".join(words)]
    last = fold(text)[-1]
    if not complete and last in ABBREVIATIONS:
        prefixes.append(" ".join([*words[:-1], last]))
    return prefixes
