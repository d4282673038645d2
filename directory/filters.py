"""The inputs of a search, declared and validated once for the page and the API.

Query parameters: condition, treatment (repeatable), accepting=1, near (ZIP,
"City, ST", a state) or lat+lng, radius (10, 25, 50, 100, 250 miles); the API
adds page and page_size. A valid form gives a SearchQuery for directory/search.py;
it filters nothing itself.
"""

from typing import Any

from django import forms
from django.http import QueryDict

from directory.gazetteer import MAX_QUERY_LENGTH, find_place, place_at
from directory.reference import reference
from directory.search import DEFAULT_RADIUS, RADIUS_CHOICES, SearchQuery

MAX_PAGE_SIZE = 100


def condition_choices() -> list[tuple[str, str]]:
    return [(term.slug, term.name) for term in reference().conditions]


def condition_options() -> list[tuple[str, str]]:
    return [("", "Any condition"), *condition_choices()]


def treatment_choices() -> list[tuple[str, str]]:
    return [(term.slug, term.name) for term in reference().treatments]


class OneCheckbox(forms.CheckboxInput):
    """A checkbox that submits accepting=1 and hands the form the raw value to validate."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"value": "1", **(attrs or {})}, check_test=lambda value: value == "1")

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class SearchForm(forms.Form):
    """Where to search (`near` text or a browser's `lat`/`lng`, and how far) and for what."""

    near = forms.CharField(
        label="Location",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        help_text="ZIP code or City, ST",
        widget=forms.TextInput(attrs={"placeholder": "e.g. 78701 or Austin, TX"}),
    )
    lat = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput, label="Latitude"
    )
    lng = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput, label="Longitude"
    )
    radius = forms.TypedChoiceField(
        label="Distance",
        choices=[(str(miles), f"{miles} miles") for miles in RADIUS_CHOICES],
        coerce=int,
        required=False,
        empty_value=DEFAULT_RADIUS,  # type: ignore[arg-type]  # coerced like a chosen value
    )
    condition = forms.ChoiceField(label="Condition", choices=condition_options, required=False)
    treatment = forms.MultipleChoiceField(
        label="Treatment",
        choices=treatment_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    accepting = forms.ChoiceField(
        label="Only providers accepting new patients",
        choices=[("1", "Yes"), ("0", "No preference")],
        required=False,
        widget=OneCheckbox,
    )

    def __init__(self, data: QueryDict | dict[str, Any] | None = None, **kwargs: Any) -> None:
        if data is not None and not data.get("radius"):
            # Show the radius the search used, not the list's first choice.
            data = data.copy()
            data["radius"] = str(DEFAULT_RADIUS)
        super().__init__(data, **kwargs)
        self.fields["radius"].initial = str(DEFAULT_RADIUS)

    def clean_near(self) -> str:
        # Control characters never name a place; drop them rather than fail.
        near = self.cleaned_data["near"]
        return "".join(ch for ch in near if ch.isprintable()).strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        lat, lng, near = cleaned.get("lat"), cleaned.get("lng"), cleaned.get("near")
        cleaned["place"] = None
        if self.has_error("lat") or self.has_error("lng"):
            return cleaned
        if (lat is None) != (lng is None):
            missing = "lng" if lng is None else "lat"
            self.add_error(missing, "Give both latitude and longitude.")
        elif near:
            # Typed text wins over a position left in the form by an earlier search.
            cleaned["place"] = find_place(near)
            if cleaned["place"] is None:
                self.add_error("near", f'We couldn\'t find "{near}". Try a ZIP code or City, ST.')
        elif lat is not None and lng is not None:
            cleaned["place"] = place_at(lat, lng)
            if cleaned["place"] is None:
                self.add_error("lat", "That point is not near any U.S. place we know.")
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
        )


class PageForm(forms.Form):
    """The API's paging: which page of clinics, and how many on it."""

    page = forms.IntegerField(min_value=1, required=False)
    page_size = forms.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)
