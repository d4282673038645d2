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
from collections.abc import Iterable
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


@dataclass(frozen=True)
class PlaceIndex:
    """The gazetteer arranged for prefix lookups (build with place_index()).

    Parallel lists of strings and numbers rather than an object per place: the
    garbage collector does not walk strings and numbers, so 80,000 places
    held for the process's life add nothing to its pauses.
    """

    zips: list[str]  # sorted
    zip_labels: list[str]  # "78701 · Austin, TX", in the same order
    zip_states: list[str]
    city_keys: list[str]  # name_key, sorted, with repeats (Springfield is in many states)
    city_weights: list[int]  # its ZIP codes
    city_labels: list[str]  # "Austin, TX"
    city_states: list[str]
    # (every word-start of the folded name, the code folded, weight, suggestion)
    states: list[tuple[tuple[str, ...], str, int, Suggestion]]


@lru_cache(maxsize=1)
def place_index() -> PlaceIndex:
    """Build (once per process) the index of every ZIP, city and state."""
    rows = Place.objects.values_list("zip", "name", "name_key", "state_id").order_by(
        "name_key", "state_id", "zip"
    )
    zips: list[tuple[str, str, str]] = []
    cities: list[tuple[str, str, str]] = []
    zip_counts: Counter[tuple[str, str]] = Counter()
    state_counts: Counter[str] = Counter()
    for zip_code, name, name_key, state in rows:
        if zip_code is not None:  # a ZIP code (a city has none)
            zips.append((zip_code, f"{zip_code} · {name}, {state}", state))
            zip_counts[(name_key, state)] += 1
            state_counts[state] += 1
        else:
            cities.append((name_key, f"{name}, {state}", state))
    zips.sort()
    states = []
    for code, name in STATES.items():
        words = fold(name)
        starts = tuple(" ".join(words[i:]) for i in range(len(words)))
        if words[:2] == ["u", "s"]:  # "U.S. Virgin Islands" is also typed "US Virgin …"
            starts += ("us " + " ".join(words[2:]),)
        states.append((starts, code.lower(), state_counts[code], Suggestion(name, "state", code)))
    return PlaceIndex(
        zips=[zip_code for zip_code, _, _ in zips],
        zip_labels=[label for _, label, _ in zips],
        zip_states=[state for _, _, state in zips],
        city_keys=[key for key, _, _ in cities],
        city_weights=[zip_counts[(key, state)] for key, _, state in cities],
        city_labels=[label for _, label, _ in cities],
        city_states=[state for _, _, state in cities],
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
        return tuple(
            Suggestion(index.zip_labels[i], "zip", index.zip_states[i]) for i in range(start, end)
        )

    ranked: dict[Suggestion, Rank] = {}

    def offer(suggestion: Suggestion, rank: Rank) -> None:
        if suggestion not in ranked or rank < ranked[suggestion]:
            ranked[suggestion] = rank

    for prefix, codes in _city_readings(text):
        for i, exact in _cities_starting(index, prefix, codes):
            label = index.city_labels[i]
            offer(
                Suggestion(label, "city", index.city_states[i]),
                (-index.city_weights[i], not exact, label),
            )
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
) -> list[tuple[int, bool]]:
    """Return the heaviest cities whose key starts with `prefix` (in `codes`' states), as
    (position in the index, whether the key is `prefix` itself)."""
    if not prefix:
        return []
    start = bisect.bisect_left(index.city_keys, prefix)
    end = bisect.bisect_right(index.city_keys, prefix + "\x7f")
    exact_end = bisect.bisect_right(index.city_keys, prefix, start, end)
    found: list[tuple[int, bool]] = []
    for lo, hi, exact in ((start, exact_end, True), (exact_end, end, False)):
        positions: Iterable[int] = range(lo, hi)
        if codes is not None:
            positions = [i for i in positions if index.city_states[i] in codes]
        heaviest = heapq.nlargest(MAX_SUGGESTIONS, positions, key=index.city_weights.__getitem__)
        found += [(i, exact) for i in heaviest]
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
