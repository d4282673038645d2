"""The inputs of a search, declared and validated once for the page and the API.

Query parameters: q (words of a provider's name), condition, treatment
(repeatable), accepting=1, near (ZIP, "City, ST", a state) or lat+lng, radius
(10, 25, 50, 100, 250 miles), payment (repeatable), max_price (dollars),
language (ISO 639-1), kap=1, sort; the API adds page and page_size. A valid
form gives a SearchQuery for directory/search.py; it filters nothing itself.
PlaceQueryForm checks what the location field's type-ahead sends (/api/places/?q=).
"""

import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import Any, Protocol, TypeVar

from django import forms
from django.http import QueryDict
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from directory.facts import LANGUAGES, PAYMENT_OPTIONS
from directory.gazetteer import MAX_QUERY_LENGTH, find_place, fold, place_at
from directory.names import MAX_NAME_QUERY_LENGTH, MAX_NAME_WORDS, query_words
from directory.reference import reference
from directory.search import DEFAULT_RADIUS, RADIUS_CHOICES, SORTS, SearchQuery
from directory.widgets import (
    CheckList,
    HiddenInput,
    ListSelect,
    NumberInput,
    OneCheckbox,
    TextInput,
)

MAX_PAGE_SIZE = 100
# More than any session costs; keeps the number inside every database's integer.
MAX_PRICE_LIMIT = 1_000_000
# The select offers English and the languages most spoken at home in the U.S.
# (Census Bureau, American Community Survey), by name; any other ISO 639-1 code
# is accepted as typed in a URL. All 184 options would be a list nobody scrolls
# on a phone, and rendering them cost a search more than its queries.
OFFERED_LANGUAGES = [
    "en", "es", "zh", "tl", "vi", "ar", "fr", "ko", "ru", "ht", "de", "pt", "hi", "it", "pl",
    "fa", "ur", "ja", "gu", "bn", "pa", "he", "el", "uk",
]  # fmt: skip


class Named(Protocol):
    @property
    def local_name(self) -> str: ...


T = TypeVar("T", bound=Named)


# The choices below are built each time a form draws or checks them (callables, never
# cached lists): their labels are in the language of the page being drawn.


def in_local_order(terms: Iterable[T]) -> list[T]:
    """Conditions or treatments (anything with a local_name) in the page's alphabetical order.

    English pages keep the order they come in (the database's, by English name).
    """
    if get_language() == "en":
        return list(terms)
    return sorted(terms, key=lambda term: fold(term.local_name))


def condition_choices() -> list[tuple[str, str]]:
    return [(term.slug, term.local_name) for term in in_local_order(reference().conditions)]


def condition_options() -> list[tuple[str, str]]:
    return [("", _("Any condition")), *condition_choices()]


def treatment_choices() -> list[tuple[str, str]]:
    return [(term.slug, term.local_name) for term in in_local_order(reference().treatments)]


def radius_choices() -> list[tuple[str, str]]:
    miles_text = _("%(miles)s miles")
    return [(str(miles), miles_text % {"miles": miles}) for miles in RADIUS_CHOICES]


def language_options(extra: str | None = None) -> list[tuple[str, str]]:
    """ "Any language", English, then the others offered by name (and `extra`, if given)."""
    return list(sorted_language_options(get_language(), extra if extra in LANGUAGES else None))


# Per page language (the key: the labels are read in the active one) and extra language:
# a few hundred short lists at most. Naming and sorting the 24 took a search 50 gettext calls.
@cache
def sorted_language_options(language: str | None, extra: str | None) -> tuple[tuple[str, str], ...]:
    codes = set(OFFERED_LANGUAGES) - {"en"} | ({extra} if extra else set())
    return (
        ("", _("Any language")),
        ("en", str(LANGUAGES["en"])),
        *sorted(((code, str(LANGUAGES[code])) for code in codes), key=by_label),
    )


def by_label(option: tuple[str, str]) -> Any:
    """An option's place in the list: by its label, accents aside on a page not in English."""
    label = option[1]
    return label if get_language() == "en" else fold(label)


def _filled(message: Any, values: dict[str, Any]) -> str:
    # Keeps "%(value)s" for the ValidationError's own params.
    return str(message) % {"value": "%(value)s", **values}


# An error message with some placeholders filled when it is shown (in the page's language).
filled_lazy = lazy(_filled, str)


class LanguageField(forms.ChoiceField):
    """A language by its ISO 639-1 code: any of them, though the select offers a few."""

    def valid_value(self, value: Any) -> bool:
        return value in LANGUAGES


class SearchForm(forms.Form):
    """Where to search (`near` text or a browser's `lat`/`lng`, and how far) and for what."""

    near = forms.CharField(
        label=gettext_lazy("Location"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        help_text=gettext_lazy("ZIP code or City, ST"),
        widget=TextInput(attrs={"placeholder": gettext_lazy("e.g. 78701 or Austin, TX")}),
    )
    lat = forms.FloatField(
        required=False,
        min_value=-90,
        max_value=90,
        widget=HiddenInput,
        label=gettext_lazy("Latitude"),
    )
    lng = forms.FloatField(
        required=False,
        min_value=-180,
        max_value=180,
        widget=HiddenInput,
        label=gettext_lazy("Longitude"),
    )
    radius = forms.TypedChoiceField(
        label=gettext_lazy("Distance"),
        choices=radius_choices,
        coerce=int,
        required=False,
        empty_value=DEFAULT_RADIUS,  # type: ignore[arg-type]  # coerced like a chosen value
        widget=ListSelect,
    )
    q = forms.CharField(
        label=gettext_lazy("Provider name"),
        required=False,
        max_length=MAX_NAME_QUERY_LENGTH,
        help_text=gettext_lazy("Optional: words in the name, or their start, e.g. mind body"),
        widget=TextInput,
        error_messages={
            "max_length": filled_lazy(
                gettext_lazy("Enter at most %(limit)s characters of the name."),
                {"limit": MAX_NAME_QUERY_LENGTH},
            ),
        },
    )
    condition = forms.ChoiceField(
        label=gettext_lazy("Condition"),
        choices=condition_options,
        required=False,
        widget=ListSelect,
    )
    treatment = forms.MultipleChoiceField(
        label=gettext_lazy("Treatment"),
        choices=treatment_choices,
        required=False,
        widget=CheckList,
    )
    accepting = forms.ChoiceField(
        label=gettext_lazy("Only providers accepting new patients"),
        choices=[("1", gettext_lazy("Yes")), ("0", gettext_lazy("No preference"))],
        required=False,
        widget=OneCheckbox,
    )
    payment = forms.MultipleChoiceField(
        label=gettext_lazy("Payment"),
        choices=list(PAYMENT_OPTIONS.items()),
        required=False,
        widget=CheckList,
        help_text=gettext_lazy("Providers that take any of these."),
        error_messages={
            "invalid_choice": filled_lazy(
                gettext_lazy('"%(value)s" is not a payment option; use one of %(options)s.'),
                {"options": ", ".join(PAYMENT_OPTIONS)},
            ),
        },
    )
    max_price = forms.IntegerField(
        label=gettext_lazy("Highest price per session"),
        required=False,
        min_value=0,
        max_value=MAX_PRICE_LIMIT,
        help_text=gettext_lazy(
            "Whole dollars. Providers that have not told us a price are left out."
        ),
        widget=NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
        error_messages={
            "invalid": gettext_lazy("Enter a whole number of dollars, such as 500."),
            "min_value": gettext_lazy("Enter a whole number of dollars, such as 500."),
            "max_value": filled_lazy(
                gettext_lazy("Enter at most %(limit)s dollars."),
                {"limit": f"{MAX_PRICE_LIMIT:,}"},
            ),
        },
    )
    language = LanguageField(
        label=gettext_lazy("Staff speak"),
        choices=language_options,
        required=False,
        widget=ListSelect,
        error_messages={
            "invalid_choice": gettext_lazy(
                '"%(value)s" is not a language code we know; use a two-letter '
                'ISO 639-1 code such as "es".'
            ),
        },
    )
    kap = forms.ChoiceField(
        label=gettext_lazy("Only providers with ketamine-assisted psychotherapy"),
        choices=[("1", gettext_lazy("Yes")), ("0", gettext_lazy("No preference"))],
        required=False,
        widget=OneCheckbox,
    )
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort by"),
        choices=[("", gettext_lazy("Best match")), *SORTS.items()],
        required=False,
        widget=ListSelect,
        error_messages={
            "invalid_choice": filled_lazy(
                gettext_lazy('"%(value)s" is not a sort order; use %(options)s.'),
                {"options": ", ".join(SORTS)},
            ),
        },
    )

    def __init__(self, data: QueryDict | dict[str, Any] | None = None, **kwargs: Any) -> None:
        if data is not None and not data.get("radius"):
            # Show the radius the search used, not the list's first choice.
            data = data.copy()
            data["radius"] = str(DEFAULT_RADIUS)
        super().__init__(data, **kwargs)
        self.fields["radius"].initial = str(DEFAULT_RADIUS)
        language = data.get("language") if data is not None else None
        if language in LANGUAGES and language not in OFFERED_LANGUAGES:
            # Show the language a link asked for as chosen.
            self.fields["language"].choices = language_options(extra=language)  # type: ignore[attr-defined]

    def clean_near(self) -> str:
        # Control characters never name a place; drop them rather than fail.
        near = self.cleaned_data["near"]
        return "".join(ch for ch in near if ch.isprintable()).strip()

    def clean_q(self) -> tuple[str, ...]:
        """The folded words of the name, each once (directory/names.py); () for no name."""
        text = self.cleaned_data["q"]
        if any(unicodedata.category(ch) == "Cc" for ch in text):
            raise forms.ValidationError(_("Use only letters, digits and punctuation in the name."))
        words = tuple(query_words(text))
        if text and not words:
            raise forms.ValidationError(_("Enter some letters or digits of the name."))
        if len(words) > MAX_NAME_WORDS:
            raise forms.ValidationError(
                _("Enter at most %(count)s words of the name.") % {"count": MAX_NAME_WORDS}
            )
        return words

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        lat, lng, near = cleaned.get("lat"), cleaned.get("lng"), cleaned.get("near")
        cleaned["place"] = None
        if self.has_error("lat") or self.has_error("lng"):
            return cleaned
        if (lat is None) != (lng is None):
            missing = "lng" if lng is None else "lat"
            self.add_error(missing, _("Give both latitude and longitude."))
        elif near:
            # Typed text wins over a position left in the form by an earlier search.
            cleaned["place"] = find_place(near)
            if cleaned["place"] is None:
                self.add_error(
                    "near",
                    _('We couldn\'t find "%(place)s". Try a ZIP code or City, ST.')
                    % {"place": near},
                )
        elif lat is not None and lng is not None:
            cleaned["place"] = place_at(lat, lng)
            if cleaned["place"] is None:
                self.add_error("lat", _("That point is not near any U.S. place we know."))
        place = cleaned["place"]
        no_point = place is None or place.point is None
        if cleaned.get("sort") == "distance" and no_point and not self.errors:
            self.add_error("sort", _("Sorting by distance needs a ZIP code or City, ST."))
        return cleaned

    def search_query(self) -> SearchQuery:
        """The validated inputs as a SearchQuery (call after is_valid())."""
        cleaned = self.cleaned_data
        return SearchQuery(
            place=cleaned["place"],
            condition=cleaned["condition"] or None,
            treatments=tuple(cleaned["treatment"]),
            accepting=cleaned["accepting"] == "1",
            radius=cleaned["radius"],
            payments=tuple(cleaned["payment"]),
            max_price=cleaned["max_price"],
            language=cleaned["language"] or None,
            kap=cleaned["kap"] == "1",
            sort=cleaned["sort"] or None,
            name_words=cleaned["q"],
        )


class PageForm(forms.Form):
    """The API's paging: which page of clinics, and how many on it."""

    page = forms.IntegerField(min_value=1, required=False)
    page_size = forms.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)


class PlaceQueryForm(forms.Form):
    """What the location field's type-ahead sends: the text typed so far."""

    # Not stripped before the length check: the bound is on what was sent, as
    # the API's document says.
    q = forms.CharField(
        max_length=MAX_QUERY_LENGTH,
        strip=False,
        error_messages={
            "required": gettext_lazy("Type the start of a ZIP code, a city or a state.")
        },
    )

    def clean_q(self) -> str:
        text = self.cleaned_data["q"]
        if any(unicodedata.category(ch) == "Cc" for ch in text):
            raise forms.ValidationError(_("Control characters are not part of any place name."))
        if not text.strip():
            raise forms.ValidationError(_("Type the start of a ZIP code, a city or a state."))
        return text.strip()
