"""The search's one definition of its inputs, shared by the HTML page and the API.

Query parameters: condition, treatment (repeatable), accepting=1, near (ZIP,
"City, ST", a state) or lat+lng, radius (10, 25, 50, 100, 250 miles).
Any value within one filter matches; all filters together must.
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef

from directory.gazetteer import MAX_QUERY_LENGTH, Located, locate, nearest_place
from directory.models import Location, Provider
from directory.reference import reference
from directory.search import attach_nearest_locations

RADIUS_CHOICES = [10, 25, 50, 100, 250]
DEFAULT_RADIUS = 50


def condition_choices():
    return [(term.slug, term.name) for term in reference().conditions]


def treatment_choices():
    return [(term.slug, term.name) for term in reference().treatments]


class SearchForm(forms.Form):
    """Where to search: `near` text or a browser's `lat`/`lng`, and how far."""

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
        empty_value=DEFAULT_RADIUS,
    )

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("radius"):
            # Show the radius the search used, not the list's first choice.
            data = data.copy()
            data["radius"] = str(DEFAULT_RADIUS)
        super().__init__(data, *args, **kwargs)
        self.fields["radius"].initial = str(DEFAULT_RADIUS)

    def clean_near(self):
        # Control characters never name a place; drop them rather than fail.
        near = self.cleaned_data["near"]
        return "".join(ch for ch in near if ch.isprintable()).strip()

    def clean(self):
        cleaned = super().clean()
        lat, lng, near = cleaned.get("lat"), cleaned.get("lng"), cleaned.get("near")
        cleaned["location"] = None
        if self.has_error("lat") or self.has_error("lng"):
            return cleaned
        if (lat is None) != (lng is None):
            missing = "lng" if lng is None else "lat"
            self.add_error(missing, "Give both latitude and longitude.")
        elif near:
            # Typed text wins over a position left in the form by an earlier search.
            cleaned["location"] = locate(near)
            if cleaned["location"] is None:
                self.add_error("near", f'We couldn\'t find "{near}". Try a ZIP code or City, ST.')
        elif lat is not None:
            place = nearest_place(lat, lng)
            if place is None:
                self.add_error("lat", "That point is not near any U.S. place we know.")
            else:
                cleaned["location"] = Located(
                    "point",
                    f"{lat},{lng}",
                    f"{place.name}, {place.state_id} (your location)",
                    place.state_id,
                    lat,
                    lng,
                )
        return cleaned


class OneCheckbox(forms.CheckboxInput):
    """A checkbox that submits accepting=1 and hands the form the raw value to validate."""

    def __init__(self, attrs=None):
        super().__init__({"value": "1", **(attrs or {})}, check_test=lambda value: value == "1")

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class ProviderFilter(django_filters.FilterSet):
    condition = django_filters.ChoiceFilter(
        label="Condition",
        choices=condition_choices,
        empty_label="Any condition",
        method="filter_condition",
    )
    treatment = django_filters.MultipleChoiceFilter(
        label="Treatment",
        choices=treatment_choices,
        method="filter_treatment",
        widget=forms.CheckboxSelectMultiple,
    )
    accepting = django_filters.ChoiceFilter(
        label="Only providers accepting new patients",
        choices=[("1", "Yes"), ("0", "No preference")],
        method="filter_accepting",
        widget=OneCheckbox,
    )

    class Meta:
        model = Provider
        fields = []
        form = SearchForm

    def __init__(self, data=None, queryset=None, **kwargs):
        if queryset is None:
            queryset = Provider.objects.published().for_cards()
        super().__init__(data, queryset, **kwargs)

    def filter_condition(self, queryset, name, slug):
        term = reference().condition(slug)
        links = Provider.conditions.through.objects.filter(
            provider=OuterRef("pk"), condition_id=term.id
        )
        return queryset.filter(Exists(links))

    def filter_treatment(self, queryset, name, slugs):
        if not slugs:
            return queryset
        terms = reference()
        ids = [terms.treatment(slug).id for slug in slugs]
        links = Provider.treatments.through.objects.filter(
            provider=OuterRef("pk"), treatment_id__in=ids
        )
        return queryset.filter(Exists(links))

    def filter_accepting(self, queryset, name, value):
        return queryset.filter(accepting_new_patients=True) if value == "1" else queryset

    @property
    def location(self):
        return self.form.cleaned_data.get("location")

    def filter_terms(self, queryset):
        """Apply condition, treatment and accepting: the inputs that are filters.

        (The location inputs live on SearchForm, whose clean() resolves them.)
        """
        for name, filter_ in self.filters.items():
            queryset = filter_.filter(queryset, self.form.cleaned_data.get(name))
        return queryset

    def filter_queryset(self, queryset):
        """The clinics: near a point, in a state, or (with no location) all of them."""
        queryset = self.filter_terms(queryset)
        location, radius = self.location, self.form.cleaned_data["radius"]
        if location is None:
            has_location = Location.objects.filter(provider=OuterRef("pk"))
            return queryset.filter(Exists(has_location)).order_by("name", "pk")
        if location.point is None:
            return queryset.clinics_in_state(location.state)
        return queryset.near(location.point, radius)

    def nearest_clinic_location(self, radii=(500, 1500, 13000)):
        """Return the nearest matching clinic's nearest location, however far, or None.

        For the advice on an empty result page; widening in steps keeps the
        bounding box (and the index) in play for all but the emptiest searches.
        """
        clinics = self.filter_terms(self.queryset.all())
        for radius in radii:
            provider = clinics.near(self.location.point, radius).first()
            if provider:
                attach_nearest_locations([provider], self.location, radius)
                provider.nearest_location.distance = provider.distance
                return provider.nearest_location
        return None

    @property
    def at_home_qs(self):
        """Providers with the same condition, treatment and intake that treat at home there."""
        if self.location is None:
            return self.queryset.none()
        return self.filter_terms(self.queryset.all()).at_home_in(self.location.state)
