"""Comparing providers: /compare/?p=<slug>&p=<slug> names two to four published providers.

The URL is the whole comparison: no cookie, no session, nothing kept on the
server. The form checks the slugs; a bad count or a repeat is the visitor's
mistake (400), a slug we do not publish is a missing page (404).
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.urls import reverse
from django.utils.text import Truncator, get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from directory.factsheet import FactSheet, fact_sheet, load_facts
from directory.models import Location, LocationQuerySet, Provider
from directory.search import nearest_per_provider, nearest_sites

MIN_COMPARED = 2
MAX_COMPARED = 4
# How many other providers a profile offers to compare with, and how far it looks.
CANDIDATES = 5
CANDIDATE_RADIUS_MILES = 100
# Enough nearby sites to find CANDIDATES providers among (most have one to three sites).
SURVEYED_SITES = 100


class SlugsField(forms.Field):
    """The repeated `p` parameter, as a list of slugs in the order given (blanks dropped)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [slug for slug in (str(item).strip() for item in value) if slug]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        # As forms.CharField does: PostgreSQL cannot compare text holding NUL (a 500).
        for slug in value:
            ProhibitNullCharactersValidator()(slug)


def listed(items: list[str]) -> str:
    """ "a, b and c" in the page's language."""
    return str(get_text_list(items, pgettext("the last two items of a list", "and")))


def quoted(slugs: list[str]) -> str:
    """“a”, “b” and “c”: slugs as a visitor typed them, cut short if long."""
    return listed(
        [
            pgettext("a web address as typed, in quotation marks", "“%(slug)s”")
            % {"slug": Truncator(slug).chars(60)}
            for slug in slugs
        ]
    )


class CompareForm(forms.Form):
    p = SlugsField(required=False, label=gettext_lazy("Providers to compare"))

    def clean_p(self) -> list[str]:
        slugs: list[str] = self.cleaned_data["p"]
        if len(slugs) < MIN_COMPARED:
            if not slugs:
                message = _("Choose at least two providers to compare; you chose none.")
            else:
                message = _("Choose at least two providers to compare; you chose only one.")
            raise ValidationError(message, code="too_few")
        if len(slugs) > MAX_COMPARED:
            raise ValidationError(
                _("You can compare up to four providers at once; you chose %(count)s.")
                % {"count": len(slugs)},
                code="too_many",
            )
        repeated = [slug for slug, times in Counter(slugs).items() if times > 1]
        if repeated:
            raise ValidationError(
                _("You chose %(slugs)s more than once; choose each provider once.")
                % {"slugs": quoted(repeated)},
                code="duplicate",
            )
        return slugs

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        slugs = cleaned.get("p")
        if slugs is None:
            return cleaned
        found = {
            provider.slug: provider
            for provider in Provider.objects.published().filter(slug__in=slugs)
        }
        load_facts(list(found.values()))
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            message = ngettext(
                "We have no published listing at %(slugs)s. It may have closed,"
                " or the address may have a typo.",
                "We have no published listings at %(slugs)s. It may have closed,"
                " or the address may have a typo.",
                len(missing),
            )
            self.add_error(
                "p", ValidationError(message % {"slugs": quoted(missing)}, code="unknown")
            )
        else:
            cleaned["providers"] = [found[slug] for slug in slugs]
        return cleaned

    def given_providers(self) -> list[Provider]:
        """The published providers among the slugs given, for links back from an error."""
        given = self.fields["p"].widget.value_from_datadict(self.data, self.files, "p")
        slugs = [
            slug for slug in dict.fromkeys(SlugsField().to_python(given)) if "\x00" not in slug
        ]
        if not slugs:
            return []
        found = {
            provider.slug: provider
            for provider in Provider.objects.published()
            .filter(slug__in=slugs[: MAX_COMPARED * 2])
            .only("name", "slug")
        }
        return [found[slug] for slug in slugs if slug in found]

    @property
    def not_found(self) -> bool:
        """Whether the only trouble is a provider we do not publish (a 404, not a 400)."""
        return self.has_error("p", "unknown")

    def columns(self) -> "Columns":
        """One column per provider, in the order asked for (call after is_valid())."""
        providers: list[Provider] = self.cleaned_data["providers"]
        slugs = [provider.slug for provider in providers]
        return Columns(
            Column(
                sheet=fact_sheet(provider),
                remove_url=compare_url([s for s in slugs if s != provider.slug])
                if len(slugs) > MIN_COMPARED
                else "",
            )
            for provider in providers
        )


@dataclass(frozen=True)
class Column:
    sheet: FactSheet
    remove_url: str  # this comparison without the provider; "" when two are left


class Columns(list[Column]):
    """The columns compared, in order; `names` lists their providers for the page title."""

    @property
    def names(self) -> str:
        return listed([column.sheet.provider.name for column in self])


def compare_url(slugs: list[str]) -> str:
    return f"{reverse('compare')}?{urlencode([('p', slug) for slug in slugs])}"


@dataclass(frozen=True)
class Candidate:
    """A provider a profile offers to compare with, and how far its nearest site is."""

    provider: Provider
    distance: float | None  # miles from the profile's first site; None when not measured


def compare_candidates(provider: Provider) -> list[Candidate]:
    """Other published providers a profile offers to compare with, nearest first.

    Near the provider's first site when it has coordinates; otherwise clinics in
    that site's state, or, for care at home only, other services in any of its
    states. `provider` has its locations and states loaded. Two queries near a point
    (nearest_others()), else one.
    """
    sites = list(provider.locations.all())
    if sites and sites[0].latitude is not None and sites[0].longitude is not None:
        return nearest_others(provider, (sites[0].latitude, sites[0].longitude))
    others = Provider.objects.published().exclude(pk=provider.pk).only("name", "slug")
    if sites:
        found = list(others.clinics_in_state(sites[0].state_id)[:CANDIDATES])
    elif states := [state.code for state in provider.serves_states.all()]:
        at_home = others.filter(serves_states__in=states).distinct().order_by("name", "pk")
        found = list(at_home[:CANDIDATES])
    else:
        found = []
    return [Candidate(other, None) for other in found]


def nearest_others(provider: Provider, point: tuple[float, float]) -> list[Candidate]:
    """The CANDIDATES other published clinics nearest `point`, within CANDIDATE_RADIUS_MILES.

    As a search finds its first page (search.nearby()): a survey of the nearest
    sites gives a radius within which enough providers lie, and only the sites
    within it are ranked. In a city, ranking every site within 100 miles took
    most of a profile's time (30 ms at 100,000 providers in New York). Two queries (the
    second reads only the providers the survey picked when it read all their sites:
    Survey.picked); three when a chain's many sites come first (search.nearest_sites()).
    """

    def sites(radius: float) -> LocationQuerySet:
        return Location.objects.searchable().exclude(provider=provider).within(point, radius)

    survey = sites(CANDIDATE_RADIUS_MILES).survey(point, CANDIDATES, read=SURVEYED_SITES, after=0)
    if survey.picked is not None:
        return picked_candidates(survey.picked)
    radius: float = CANDIDATE_RADIUS_MILES
    nearest: Iterable[Any] | None = None  # sites with their distance
    if survey.few:
        radius = radius if survey.reach is None else min(survey.reach, radius)
        nearest = nearest_sites(sites(radius), CANDIDATES)
    if nearest is None:
        nearest = nearest_per_provider(sites(radius), None, CANDIDATES)
    return [Candidate(site.provider, site.distance) for site in nearest]


def picked_candidates(picked: Sequence[tuple[int, float]]) -> list[Candidate]:
    """The providers a survey picked (Survey.picked: ids and miles to each one's nearest
    site), in its order: their names and slugs are all a profile shows of them, so
    they are read by id rather than with their sites (search.picked_sites(), about
    half a millisecond more of a profile's first draw). One closed since the survey is left out."""
    found = Provider.objects.published().only("name", "slug").in_bulk([pk for pk, _ in picked])
    return [Candidate(found[pk], miles) for pk, miles in picked if pk in found]
