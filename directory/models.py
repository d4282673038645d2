import json
import math
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, ClassVar, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import (
    Aggregate,
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Combinable, CombinedExpression
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import GreaterThan
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.fields import WebsiteField
from core.history import History, VersionedModel
from core.i18n import in_language
from core.models import FewColumnsModel, PublishableQuerySet, SlugManager
from directory import geo
from directory.facts import (
    AT_HOME_GROUPS,
    FACT_GROUPS,
    PAYMENT_OPTIONS,
    TELEHEALTH_RECHECK_BEFORE,
    HoursError,
    check_hours,
)
from directory.fields import PhoneField, validate_npi, zip_validator
from directory.names import FOLDED_WORD, name_key
from directory.states import STATES

STALE_AFTER_DAYS = 180
# Patients see "call ahead" on a listing nobody has verified for this long.
NOTICE_AFTER_DAYS = 365
# A location exactly at the radius is in; float rounding must not push it out.
RADIUS_TOLERANCE_MILES = 1e-6

latitude_validators = [MinValueValidator(-90), MaxValueValidator(90)]
longitude_validators = [MinValueValidator(-180), MaxValueValidator(180)]


class SubqueryCount(Subquery):
    """How many rows a (correlated) subquery returns, as a column: 0 when none.

    COUNT(*) over the subquery as a derived table, so the outer query needs no
    GROUP BY and no join that would multiply its rows.
    """

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


class Term(models.Model):
    """A named, slugged item of reference data that providers link to."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(
        blank=True, help_text="One or two plain-language sentences shown to patients."
    )
    # Two languages, two columns: the pages under /es/ read these (local_name); the
    # API and the admin keep the English.
    name_es = models.CharField(
        "name in Spanish", max_length=100, blank=True, help_text="Shown on the Spanish pages."
    )
    description_es = models.TextField("description in Spanish", blank=True)

    objects = SlugManager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def local_name(self) -> str:
        """The name in the page's language (English when there is no translation)."""
        return in_language(self.name, self.name_es)

    @property
    def local_description(self) -> str:
        return in_language(self.description, self.description_es)

    def natural_key(self):
        return (self.slug,)


class ConditionQuerySet(models.QuerySet):
    def with_provider_counts(self) -> Self:
        """Annotate `provider_count`: the published clinics and at-home services treating each.

        A provider counts when a patient can reach it (a site, or at-home care in
        some state), as the condition's landing page does: it 404s at zero.
        """
        treating = Provider.objects.published().reachable().filter(conditions=OuterRef("pk"))
        return self.annotate(provider_count=SubqueryCount(treating.values("pk")))


ConditionManager = SlugManager.from_queryset(ConditionQuerySet)


class Condition(Term):
    """A condition that ketamine treatment is offered for (chronic pain, PTSD …)."""

    mental_health = models.BooleanField(
        default=False,
        help_text="Articles about it show the crisis box (988, the Veterans Crisis Line, 911).",
    )

    objects: ClassVar[ConditionManager] = ConditionManager()

    class Meta(Term.Meta):
        pass


class Treatment(Term):
    """A way ketamine is given (IV infusion, nasal spray …)."""

    class Meta(Term.Meta):
        pass


class StateQuerySet(models.QuerySet):
    def with_provider_counts(self) -> Self:
        """Annotate `provider_count`: the published providers with a site in each state or
        treating patients at home there, each counted once (its landing page 404s at zero).

        Clinics plus at-home services less those that are both, each a count on
        the link tables by state, rather than every provider checked against
        every state.
        """
        state = OuterRef("pk")
        sited = Location.objects.published().filter(state=state).order_by()
        clinics = sited.values("provider").distinct()
        at_home = Provider.serves_states.through.objects.filter(
            state=state, provider__status=Provider.Status.PUBLISHED
        )
        sited_here = Location.objects.filter(provider=OuterRef("provider"), state=OuterRef("state"))
        both = at_home.filter(Exists(sited_here))
        return self.annotate(
            provider_count=SubqueryCount(clinics)
            + SubqueryCount(at_home.values("provider"))
            - SubqueryCount(both.values("provider"))
        )


class State(models.Model):
    """A U.S. state, DC or territory; rows come from directory/states.py by migration."""

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=50, unique=True)

    objects = StateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def slug(self):
        return self.code.lower()


class FixedTerm(models.Model):
    """An entry of a fixed list from directory/facts.py, keyed by its public slug or code."""

    slug = models.SlugField(max_length=30, primary_key=True)
    name = models.CharField(max_length=100)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name


class PaymentOption(FixedTerm):
    """A way to pay (Medicare, self-pay, HSA/FSA …)."""

    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]


class PrescriberType(FixedTerm):
    """Who prescribes and supervises (psychiatrist, CRNA …)."""

    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]


class Language(FixedTerm):
    """A language staff speak, by its ISO 639-1 code (the slug)."""

    class Meta:
        ordering = ["name"]


class GreatCircleMiles(Func):
    """Great-circle miles from a fixed point to the row's coordinates, in SQL.

    The spherical law of cosines, with its cosine clamped to [-1, 1]: rounding can
    make it 1.0000000000000002 at a location's exact coordinates, and PostgreSQL's
    acos() refuses that ("input is out of range"). One node rather than a tree of
    Sin/Cos/Radians expressions: a search compiles it on every request, and the
    tree cost more Python than the database spent computing it.
    """

    output_field = FloatField()

    def __init__(
        self, point: tuple[float, float], latitude: str = "latitude", longitude: str = "longitude"
    ) -> None:
        super().__init__(F(latitude), F(longitude))
        lat, lng = map(math.radians, point)
        self.point_terms = (math.sin(lat), math.cos(lat), lng)

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra):
        (lat, lat_params), (lng, lng_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        # SQLite spells LEAST and GREATEST as the scalar MIN and MAX.
        least, greatest = ("MIN", "MAX") if connection.vendor == "sqlite" else ("LEAST", "GREATEST")
        sin_lat, cos_lat, lng_radians = self.point_terms
        sql = (
            f"(ACOS({least}({greatest}(%s * SIN(RADIANS({lat})) + %s * COS(RADIANS({lat}))"
            f" * COS(RADIANS({lng}) - %s), -1.0), 1.0)) * %s)"
        )
        params = (
            sin_lat, *lat_params, cos_lat, *lat_params, *lng_params, lng_radians,
            geo.EARTH_RADIUS_MILES,
        )  # fmt: skip
        return sql, params


def bounding_box_q(point: tuple[float, float], radius_miles: float, prefix: str = "") -> Q:
    """A filter for the coordinates inside the box around the circle (uses the index)."""
    box = geo.bounding_box(point, radius_miles + RADIUS_TOLERANCE_MILES)
    q = Q(
        **{
            f"{prefix}latitude__gte": box.min_latitude,
            f"{prefix}latitude__lte": box.max_latitude,
        }
    )
    if box.crosses_antimeridian:
        return q & (
            Q(**{f"{prefix}longitude__gte": box.min_longitude})
            | Q(**{f"{prefix}longitude__lte": box.max_longitude})
        )
    return q & Q(
        **{
            f"{prefix}longitude__gte": box.min_longitude,
            f"{prefix}longitude__lte": box.max_longitude,
        }
    )


class InBox(Func):
    """The row's coordinates inside `box` (a geo.BoundingBox), as a filter.

    PostgreSQL asks its GiST index of the locations' points (location_point_idx,
    directory migration 0015), which finds the box's rows wherever they lie; a B-tree
    on (latitude, longitude), all other databases have, reads the whole band of
    latitudes across the country and drops what is outside the longitudes.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, box: geo.BoundingBox, prefix: str = "") -> None:
        super().__init__(F(f"{prefix}latitude"), F(f"{prefix}longitude"))
        self.box = box

    def columns(self, compiler) -> tuple[str, str]:
        (lat, _), (lng, _) = (compiler.compile(e) for e in self.get_source_expressions())
        return lat, lng

    def longitude_ranges(self) -> list[tuple[float, float]]:
        box = self.box
        if box.crosses_antimeridian:
            return [(box.min_longitude, 180.0), (-180.0, box.max_longitude)]
        return [(box.min_longitude, box.max_longitude)]

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra):
        lat, lng = self.columns(compiler)
        ranges = self.longitude_ranges()
        lngs = " OR ".join(f"{lng} BETWEEN %s AND %s" for _ in ranges)
        params = [self.box.min_latitude, self.box.max_latitude, *(v for r in ranges for v in r)]
        return f"({lat} BETWEEN %s AND %s AND ({lngs}))", params

    def as_postgresql(self, compiler, connection, **extra):
        lat, lng = self.columns(compiler)
        box = self.box
        ranges = self.longitude_ranges()
        sql = " OR ".join(
            f"point({lng}, {lat}) <@ box(point(%s, %s), point(%s, %s))" for _ in ranges
        )
        params = [v for w, e in ranges for v in (w, box.min_latitude, e, box.max_latitude)]
        return f"({sql})", params


class NameWordStarts(Func):
    """Whether `name_search` (a provider's, or its copy on a location row) has a word
    starting with `word`, a word folded as directory/names.py says: LIKE '% word%'.

    The pattern is written into the SQL, not passed as a parameter. A prepared
    statement's generic plan cannot see a parameter's pattern: at a million providers
    it guessed that two words match 25 of them, and sorted the 229,000 that two common
    words matched (1.7 s), where a plan for the words walks the name order in
    milliseconds.
    A folded word holds only letters and digits, so it cannot end the string or be
    a wildcard; anything else is refused.
    """

    output_field = BooleanField()

    def __init__(self, word: str, field: str = "name_search") -> None:
        if not FOLDED_WORD.fullmatch(word):
            raise ValueError(f"not a folded word: {word!r}")
        super().__init__(F(field))
        self.word = word

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra):
        column, params = compiler.compile(self.get_source_expressions()[0])
        # %% is a literal % in Django's SQL, as in its own patterns for LIKE.
        return f"{column} LIKE '%% {self.word}%%'", params


class PointOrder(Func):
    """PostgreSQL's distance between points in degrees (the GiST index's nearest-first
    order): not miles, but near enough to pick the few candidates a page needs, whose
    distances are then worked out exactly. PostgreSQL only."""

    output_field = FloatField()

    def __init__(self, point: tuple[float, float]) -> None:
        super().__init__(F("latitude"), F("longitude"))
        self.point = point

    def as_postgresql(self, compiler, connection, **extra):
        (lat, _), (lng, _) = (compiler.compile(e) for e in self.get_source_expressions())
        return f"point({lng}, {lat}) <-> point(%s, %s)", [self.point[1], self.point[0]]


# LocationQuerySet.survey(): at most how many sites it reads (a radius search counts
# its providers to 1,000; a circle's nearest sites are mostly of different providers:
# at a million demo providers, 1,500 were of 1,180 providers or more, 1,430 in the
# median, and reading 3,000 cost a city's search about 2 ms more), and the margin
# over the radius it finds (rounding in the distance formula).
SURVEY_SITES = 1500
REACH_MARGIN_MILES = 1e-4


@dataclass(frozen=True)
class Survey:
    """What LocationQuerySet.survey() read: `sites` (SURVEY_SITES at most) of how many
    `providers`, and within what distance of the point the first needed providers lie
    (None when fewer providers than needed were seen)."""

    sites: int
    providers: int
    reach: float | None
    read: int = SURVEY_SITES  # at most how many sites it read
    # How far the farthest of them is, when it read them nearest first (PostgreSQL).
    farthest: float | None = None
    # The page's providers and how far each one's nearest site is, as (provider id,
    # miles) in nearest-first order, when asked for and when the sites read hold them
    # all (LocationQuerySet.survey()).
    picked: tuple[tuple[int, float], ...] | None = None

    @property
    def complete(self) -> bool:
        """Whether it read every site there is (fewer than it may read)."""
        return self.sites < self.read

    @property
    def few(self) -> bool:
        """Whether the sites within its reach, or all of them when it read them all,
        are of about as many providers as needed (search.nearest_sites())."""
        return self.reach is not None or self.complete

    def sites_within(self, radius: float) -> float | None:
        """About how many sites lie within `radius`, if those past the ones it read
        (nearest first) are as dense as they: a city's circle holds many times what it
        reads. None when it did not read them nearest first."""
        if self.complete:
            return self.sites
        if self.farthest is None:
            return None
        # Sites on one spot (a ZIP code's centre) count as spread over a mile.
        return self.sites * max(1.0, (radius / max(self.farthest, 1.0)) ** 2)


# A provider's conditions, treatments and payment options are copied onto its
# location rows as bits of a 64-bit integer (1 << a condition's or treatment's id, or
# a payment option's position): numbers from 0 to MAX_TERM_BIT fit; a term past it is
# checked on the provider.
MAX_TERM_BIT = 62


def term_bit(number: int) -> int | None:
    return 1 << number if 0 <= number <= MAX_TERM_BIT else None


def term_bits(numbers: Iterable[int]) -> int | None:
    """The bits of all of `numbers` together; None if one of them has no bit."""
    bits = 0
    for number in numbers:
        if (bit := term_bit(number)) is None:
            return None
        bits |= bit
    return bits


# A payment option's number for its bit: its place in facts.PAYMENT_OPTIONS (which only
# grows at the end; the migration that adds one copies the bits again).
PAYMENT_NUMBERS = {slug: number for number, slug in enumerate(PAYMENT_OPTIONS)}


URL_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
SLUG_PLACEHOLDER = "provider-slug"


@lru_cache
def provider_address_around(
    language: str | None, script_prefix: str, urlconf: object
) -> tuple[str, str]:
    """What comes before and after the slug in a provider's address (Provider.get_absolute_url)."""
    address = reverse("provider-detail", args=[SLUG_PLACEHOLDER])
    before, _, after = address.partition(SLUG_PLACEHOLDER)
    return before, after


# The columns a result card or the API shows of a provider (no long descriptions).
PROVIDER_CARD_FIELDS = (
    "id", "name", "slug", "status", "phone", "website", "accepting_new_patients",
    "last_verified", "price_min", "price_max", "kap", "rems_certified",
)  # fmt: skip

# The orders a patient may sort by besides distance and name, on a provider or on
# its location rows' copies (SEARCH_COPIES have the same names). The provider's
# order indexes follow them (migration 0019).
CHEAPEST_FIRST = F("price_min").asc(nulls_last=True)  # unknown price last
RECENTLY_VERIFIED = F("last_verified").desc(nulls_last=True)  # never verified last

# A provider's many-to-many fields: what its history, the demo seeding and the
# fact sheet's prefetching all cover.
PROVIDER_RELATIONS = (
    "conditions",
    "treatments",
    "serves_states",
    "payment_options",
    "payment_declined",
    "prescriber_types",
    "languages",
)


def link_fields(relation: str) -> tuple[Any, Any, Any]:
    """Provider.<relation>'s through model, and its fields for the provider and the linked row."""
    field: Any = Provider._meta.get_field(relation)
    through = field.remote_field.through
    source = through._meta.get_field(field.m2m_field_name())
    return through, source, through._meta.get_field(field.m2m_reverse_field_name())


def prefetch_relations(providers: Sequence["Provider"]) -> None:
    """What prefetch_related(*PROVIDER_RELATIONS) stores on `providers`, in one query.

    Seven prefetches are seven round trips, most of a profile's queries; here one
    UNION of the link tables (relations_sql) brings each linked row along as a
    JSON object of its columns: the linked tables are short lists (states,
    conditions, payment options …).
    """
    if not providers:
        return
    ids = [provider.pk for provider in providers]
    targets = [
        Provider._meta.get_field(relation).related_model._meta  # type: ignore[union-attr]
        for relation in PROVIDER_RELATIONS
    ]
    linked: dict[tuple[int, int], list[models.Model]] = {}
    branches = len(PROVIDER_RELATIONS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(relations_sql(1, connection.vendor), [ids] * branches)
        else:
            cursor.execute(relations_sql(len(ids), connection.vendor), ids * branches)
        for provider_id, index, row in cursor:
            target, fields = targets[index], targets[index].concrete_fields
            # PostgreSQL's driver reads JSON itself; SQLite hands over the text.
            values = (json.loads(row) if isinstance(row, str) else row).values()
            instance = target.model.from_db(
                connection.alias,
                [field.attname for field in fields],
                [field.to_python(value) for field, value in zip(fields, values, strict=True)],
            )
            linked.setdefault((provider_id, index), []).append(instance)
    for provider in providers:
        cache = provider.__dict__.setdefault("_prefetched_objects_cache", {})
        for index, relation in enumerate(PROVIDER_RELATIONS):
            rows = linked.get((provider.pk, index), [])
            ordering = [str(name) for name in targets[index].ordering or ()]
            rows.sort(key=lambda row: tuple(getattr(row, name) for name in ordering))
            # As prefetch_related() leaves it: the manager's queryset, already evaluated.
            queryset = getattr(provider, relation).get_queryset()
            queryset._result_cache, queryset._prefetch_done = rows, True
            cache[relation] = queryset


@lru_cache
def relations_sql(count: int, vendor: str) -> str:
    """The UNION prefetch_relations() runs for `count` providers (on PostgreSQL, one
    array of ids): (provider id, index in PROVIDER_RELATIONS, the linked row as JSON
    with its columns in the model's order). Written out rather than built with the
    ORM, whose seven joined querysets took longer to compile than the query to run
    (as cards.terms_sql)."""
    if vendor == "postgresql":
        among, json_object = "= ANY(%s)", "json_build_object"
    else:
        among, json_object = f"IN ({', '.join(['%s'] * count)})", "json_object"
    branches = []
    for index, relation in enumerate(PROVIDER_RELATIONS):
        through, _, target = link_fields(relation)
        model = target.related_model
        table = model._meta.db_table
        fields = model._meta.concrete_fields
        columns = ", ".join(f"'{f.attname}', linked.{f.column}" for f in fields)
        # Only names from the models, constants and placeholders go into the text.
        branches.append(
            f"SELECT link.provider_id, {index}, {json_object}({columns})"  # noqa: S608
            f" FROM {through._meta.db_table} link JOIN {table} linked"
            f" ON linked.{model._meta.pk.column} = link.{target.column}"
            f" WHERE link.provider_id {among}"
        )
    return " UNION ALL ".join(branches)


class ProviderQuerySet(PublishableQuerySet):
    def published(self) -> Self:
        return self.filter(status=Provider.Status.PUBLISHED)

    def for_cards(self) -> Self:
        """Only the columns a result card or the API shows (no long descriptions)."""
        return self.only(*PROVIDER_CARD_FIELDS)

    # Filters by id through EXISTS on the link tables: no join, so no duplicate
    # rows and no DISTINCT (which would spoil the COUNT(*) OVER () of a search).
    def treating(self, condition_id: int) -> Self:
        """Providers that treat the condition."""
        links = Provider.conditions.through.objects.filter(
            provider=OuterRef("pk"), condition_id=condition_id
        )
        return self.filter(Exists(links))

    def offering_any(self, treatment_ids: Collection[int]) -> Self:
        """Providers that offer at least one of the treatments."""
        links = Provider.treatments.through.objects.filter(
            provider=OuterRef("pk"), treatment_id__in=treatment_ids
        )
        return self.filter(Exists(links))

    def accepting(self) -> Self:
        return self.filter(accepting_new_patients=True)

    def named(self, words: Collection[str]) -> Self:
        """Providers with a word of the name starting with each of `words` (folded by
        directory.names.name_words; that module explains the matching)."""
        return self.filter(*(NameWordStarts(word) for word in words))

    def paying_with_any(self, options: Collection[str]) -> Self:
        """Providers that accept at least one of the payment options (by slug)."""
        links = Provider.payment_options.through.objects.filter(
            provider=OuterRef("pk"), paymentoption_id__in=options
        )
        return self.filter(Exists(links))

    def priced_at_most(self, dollars: int) -> Self:
        """Providers whose lowest price per session is at most `dollars` (unknown is out)."""
        return self.filter(price_min__lte=dollars)

    def speaking(self, language: str) -> Self:
        """Providers whose staff speak the language (an ISO 639-1 code)."""
        links = Provider.languages.through.objects.filter(
            provider=OuterRef("pk"), language_id=language
        )
        return self.filter(Exists(links))

    def offering_kap(self) -> Self:
        """Providers with ketamine-assisted psychotherapy, in-house or through a partner."""
        return self.filter(kap__in=Provider.KAP_OFFERED)

    def with_verification_method(self) -> Self:
        """Annotate `verification_method`: how the provider's last_verified date was
        checked (the record of that very date), or None (directory/freshness.py)."""
        records = Verification.objects.filter(
            provider=OuterRef("pk"), verified_on=OuterRef("last_verified")
        ).latest_first()
        return self.annotate(verification_method=Subquery(records.values("method")[:1]))

    def cheapest_first(self) -> Self:
        """By lowest price per session, unknown last; the current order breaks ties."""
        return self.order_by(CHEAPEST_FIRST, *self.query.order_by)

    def recently_verified_first(self) -> Self:
        """By when last verified, never-verified last; the current order breaks ties."""
        return self.order_by(RECENTLY_VERIFIED, *self.query.order_by)

    def clinics(self) -> Self:
        """Providers with at least one site, by name."""
        has_site = Location.objects.filter(provider=OuterRef("pk"))
        return self.filter(Exists(has_site)).order_by("name", "pk")

    def near(
        self, point: tuple[float, float], radius_miles: float, condition_id: int | None = None
    ) -> Self:
        """Clinics with a location within `radius_miles` of `point`, nearest first.

        One row per provider, annotated with `distance` to its nearest location
        in range; ties are broken by name. The locations are those of published
        providers (treating `condition_id`), checked on the location rows.
        The plain way to rank a circle, grouping all of it: the search reads the sites
        in order instead (directory.search.nearby), and tests compare it with this.
        """
        box = geo.bounding_box(point, radius_miles + RADIUS_TOLERANCE_MILES)
        # One filter() call, so that every condition is on the same joined location.
        on_site = [InBox(box, prefix="locations__"), Q(locations__published=True)]
        if condition_id is not None:
            if (bit := term_bit(condition_id)) is None:
                return self.treating(condition_id).near(point, radius_miles)
            on_site.append(GreaterThan(F("locations__condition_bits").bitand(bit), 0))
        return (
            self.filter(*on_site)
            .annotate(
                distance=Min(GreatCircleMiles(point, "locations__latitude", "locations__longitude"))
            )
            .filter(distance__lte=radius_miles + RADIUS_TOLERANCE_MILES)
            .order_by("distance", "name", "pk")
        )

    def clinics_in_state(self, state: str) -> Self:
        """Clinics with a location in `state`, by the city of that location, then name."""
        return (
            self.filter(locations__state=state)
            .annotate(city=Min("locations__city"))
            .order_by("city", "name", "pk")
        )

    def clinics_in_city(self, state: str, city_slug: str) -> Self:
        """Clinics with a location in the city, by name."""
        in_city = Location.objects.filter(provider=OuterRef("pk"), state=state, city_slug=city_slug)
        return self.filter(Exists(in_city)).order_by("name", "pk")

    def at_home_in(self, state: str) -> Self:
        """Providers that treat patients at home in `state`, by name."""
        return self.filter(serves_states=state).order_by("name", "pk")

    def at_home_anywhere(self) -> Self:
        """Providers that treat patients at home in any state, by name."""
        # Few providers treat at home: their ids are read from the link table first.
        # As EXISTS (a semi-join), PostgreSQL merged the link table with every provider
        # up to the last id in it (at a million: 12,700 rows read, 14 ms against 5).
        serving = Provider.serves_states.through.objects.values("provider_id").distinct()
        return self.filter(pk__in=serving).order_by("name", "pk")

    def reachable(self) -> Self:
        """Providers a patient can reach: with a site, or treating at home in some state."""
        has_site = Location.objects.filter(provider=OuterRef("pk"))
        serves = Provider.serves_states.through.objects.filter(provider=OuterRef("pk"))
        return self.filter(Exists(has_site) | Exists(serves))

    def unverified_since(self, days: int, today: date | None = None) -> Self:
        """Providers nobody has verified in the last `days` days (never verified included)."""
        cutoff = (today or timezone.localdate()) - timedelta(days=days)
        return self.filter(Q(last_verified__isnull=True) | Q(last_verified__lt=cutoff))

    def stale(self, today: date | None = None) -> Self:
        """Providers nobody has verified in the last STALE_AFTER_DAYS days."""
        return self.unverified_since(STALE_AFTER_DAYS, today)

    def telehealth_to_recheck(self) -> Self:
        """At-home providers whose telehealth facts were not confirmed in the run-up to the
        federal telemedicine rules changing (facts.TELEHEALTH_RULES_CHANGE), or never."""
        links = Provider.serves_states.through.objects.filter(provider=OuterRef("pk"))
        return self.filter(Exists(links)).filter(
            Q(telehealth_confirmed__isnull=True)
            | Q(telehealth_confirmed__lt=TELEHEALTH_RECHECK_BEFORE)
        )

    def most_reported(self) -> Self:
        """Providers with open reports, most first, annotated `open_reports`."""
        open_reports = Count(
            "submissions",
            filter=Q(
                submissions__kind=Submission.Kind.REPORT,
                submissions__status__in=Submission.OPEN,
            ),
        )
        return (
            self.annotate(open_reports=open_reports)
            .filter(open_reports__gt=0)
            .order_by("-open_reports", "name", "pk")
        )


class Provider(FewColumnsModel, VersionedModel):
    """An outpatient ketamine clinic, an at-home (telehealth) service, or both."""

    # The labels of these three show on public pages (a draft's or closed listing's
    # banner for editors, and the fact sheet), so they follow the page's language.
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("listing status", "Draft")
        PUBLISHED = "published", pgettext_lazy("listing status", "Published")
        CLOSED = "closed", pgettext_lazy("listing status", "Closed")

    class Kap(models.TextChoices):
        IN_HOUSE = "in-house", _("In-house")
        PARTNER = "partner", _("Through a partner")
        NOT_OFFERED = "not-offered", _("Not offered")

    # Ketamine-assisted psychotherapy offered, in-house or through a partner.
    KAP_OFFERED = (Kap.IN_HOUSE, Kap.PARTNER)

    class Presence(models.TextChoices):
        PHYSICIAN = "physician", _("A physician")
        ADVANCED = "advanced-practice", _("A nurse practitioner, PA or nurse anesthetist")
        NURSE = "nurse", _("A registered nurse")
        REMOTE = "remote", _("A clinician by video")
        NONE = "none", _("No clinician")

    class Credential(models.TextChoices):
        MD = "MD", "MD"
        DO = "DO", "DO"
        NP = "NP", "NP"
        PA = "PA", "PA"
        CRNA = "CRNA", "CRNA"

    name = models.CharField(max_length=200)
    # The name folded for search (directory/names.py); save() keeps it in step.
    name_search = models.TextField(blank=True, default="", editable=False)
    slug = models.SlugField(max_length=200, unique=True)
    external_id = models.CharField(
        "external ID",
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text="Your stable key for this provider; CSV imports match on it.",
    )
    description = models.TextField(blank=True)
    website = WebsiteField(max_length=500, blank=True)
    phone = PhoneField(blank=True, help_text="Saved as (512) 555-0100.")
    email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text="Only published providers are shown to patients. Closed keeps the record.",
    )
    conditions = models.ManyToManyField(Condition, blank=True, related_name="providers")
    treatments = models.ManyToManyField(Treatment, blank=True, related_name="providers")
    serves_states = models.ManyToManyField(
        State,
        blank=True,
        related_name="at_home_providers",
        verbose_name="at-home care in",
        help_text="States where it treats patients at home. Leave empty for a clinic only.",
    )
    accepting_new_patients = models.BooleanField(
        null=True, blank=True, help_text="Leave unknown unless the provider told us."
    )
    # --- The facts patients decide on (directory/facts.py lists the groups). ----
    # Null, blank or an empty list means "not confirmed yet", never "no".
    # Cost
    price_min = models.PositiveIntegerField("lowest price per session (USD)", null=True, blank=True)
    price_max = models.PositiveIntegerField(
        "highest price per session (USD)", null=True, blank=True
    )
    consultation_fee = models.PositiveIntegerField("consultation fee (USD)", null=True, blank=True)
    course_price = models.PositiveIntegerField(
        "price of a typical course (USD)", null=True, blank=True
    )
    price_includes = models.CharField(
        "what the price includes", max_length=300, blank=True, help_text="In our own words."
    )
    cancellation_terms = models.CharField(
        "cancellation and refunds", max_length=300, blank=True, help_text="In our own words."
    )
    # Payment: an option in neither list is unknown.
    payment_options = models.ManyToManyField(
        PaymentOption,
        blank=True,
        related_name="providers",
        verbose_name="payment accepted",
    )
    payment_declined = models.ManyToManyField(
        PaymentOption,
        blank=True,
        related_name="declined_by",
        verbose_name="payment not accepted",
        help_text="Only what the provider confirmed it does not take.",
    )
    # Treatments (the treatments field above)
    rems_certified = models.BooleanField(
        "Spravato REMS-certified",
        null=True,
        blank=True,
        help_text="Certified to give esketamine (Spravato) under the FDA's REMS program.",
    )
    # Who prescribes and supervises
    prescriber_types = models.ManyToManyField(
        PrescriberType, blank=True, related_name="providers", verbose_name="prescribers"
    )
    board_certified = models.BooleanField("prescribers board-certified", null=True, blank=True)
    npi = models.CharField(
        "NPI",
        max_length=10,
        blank=True,
        validators=[validate_npi],
        help_text="The practice's or the medical director's 10-digit National Provider Identifier.",
    )
    medical_director_name = models.CharField(max_length=200, blank=True)
    medical_director_credential = models.CharField(
        max_length=10, choices=Credential.choices, blank=True
    )
    # Safety and monitoring
    vitals_monitored = models.BooleanField(
        "vital signs monitored",
        null=True,
        blank=True,
        help_text="Blood pressure, heart rate, oxygen.",
    )
    present_throughout = models.CharField(
        "who is present throughout", max_length=20, choices=Presence.choices, blank=True
    )
    observation_minutes = models.PositiveSmallIntegerField(
        "observation after a dose (minutes)", null=True, blank=True
    )
    ride_home_required = models.BooleanField("ride home required", null=True, blank=True)
    # Intake
    consultation_required = models.BooleanField(null=True, blank=True)
    referral_required = models.BooleanField("referral or records required", null=True, blank=True)
    existing_patients_only = models.BooleanField(null=True, blank=True)
    consultation_fee_refunded = models.BooleanField(
        "consultation fee refunded if not a candidate", null=True, blank=True
    )
    # Psychotherapy
    kap = models.CharField(
        "ketamine-assisted psychotherapy", max_length=12, choices=Kap.choices, blank=True
    )
    # Typical course
    course_sessions = models.PositiveSmallIntegerField(
        "sessions in a typical course", null=True, blank=True
    )
    course_weeks = models.PositiveSmallIntegerField("weeks a course takes", null=True, blank=True)
    course_notes = models.CharField(
        "about the course", max_length=300, blank=True, help_text="e.g. maintenance sessions."
    )
    # Treatment at home
    in_person_evaluation = models.BooleanField("in-person evaluation first", null=True, blank=True)
    compounded = models.BooleanField("compounded medicine", null=True, blank=True)
    sent_home = models.CharField(
        "what is sent home", max_length=200, blank=True, help_text="e.g. a blood-pressure monitor."
    )
    # Access (accepting_new_patients above; hours and wheelchair access by location)
    wait_days = models.PositiveSmallIntegerField(
        "days until a first appointment", null=True, blank=True
    )
    languages = models.ManyToManyField(
        Language, blank=True, related_name="providers", verbose_name="languages spoken"
    )
    # When each group was last confirmed with the provider.
    cost_confirmed = models.DateField("cost confirmed", null=True, blank=True)
    payment_confirmed = models.DateField("payment confirmed", null=True, blank=True)
    treatments_confirmed = models.DateField("treatments confirmed", null=True, blank=True)
    prescribers_confirmed = models.DateField("prescribers confirmed", null=True, blank=True)
    safety_confirmed = models.DateField("safety confirmed", null=True, blank=True)
    intake_confirmed = models.DateField("intake confirmed", null=True, blank=True)
    psychotherapy_confirmed = models.DateField("psychotherapy confirmed", null=True, blank=True)
    course_confirmed = models.DateField("course confirmed", null=True, blank=True)
    telehealth_confirmed = models.DateField("at-home care confirmed", null=True, blank=True)
    access_confirmed = models.DateField("access confirmed", null=True, blank=True)

    last_verified = models.DateField(
        null=True, blank=True, help_text="When we last confirmed these details with the provider."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProviderQuerySet.as_manager()
    # Editors' changes, relations included; updated_at and version change on every save.
    history = History(
        m2m_fields=list(PROVIDER_RELATIONS),
        excluded_fields=["updated_at", "version", "name_search"],  # the key follows the name
    )

    class Meta:
        ordering = ["name"]
        indexes = [
            # A name search with no place walks this in name order until it has its
            # page (and its count, capped). Carrying the name's search key and the
            # provider's own filters, it reads no row of the table for the names
            # that do not match: at 1,000,000 providers "wellness" read 28,000 of
            # them before its first page, 28 ms, against 7 ms from the index alone.
            models.Index(
                fields=["status", "name", "id"],
                include=["name_search", "price_min", "accepting_new_patients", "kap"],
                name="provider_name_idx",
            ),
            # A name search with no place lists the matching clinics of the whole
            # country. By price (ascending puts unknown prices last on PostgreSQL) it
            # walks this index and stops at the page, rather than sorting every
            # match: at 1,000,000 providers "care" matched 100,000 of them. Its twin
            # in order of when verified is PostgreSQL's alone (migration 0019):
            # SQLite cannot put NULLS LAST in an index.
            models.Index(fields=["status", "price_min", "name", "id"], name="provider_price_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "closed"]),
                name="provider_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(price_min__isnull=True)
                | Q(price_max__isnull=True)
                | Q(price_min__lte=models.F("price_max")),
                name="provider_price_range_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="provider_external_id_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(kap__in=["", "in-house", "partner", "not-offered"]),
                name="provider_kap_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        # A search page and the API name dozens of providers, and reverse() is slow: the
        # address around the slug is worked out once per language (and script prefix
        # and urlconf, which reverse() also reads). Only for a slug that <slug:slug>
        # matches, which reverse() puts in the address as it is.
        if not URL_SLUG.fullmatch(self.slug):
            return reverse("provider-detail", args=[self.slug])
        before, after = provider_address_around(
            get_language(), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
        )
        return f"{before}{self.slug}{after}"

    def save(self, *args, **kwargs):
        self.set_derived_fields()
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_search"}
        super().save(*args, **kwargs)

    def set_derived_fields(self) -> None:
        """What save() works out from the other fields, for a writer that bulk_create()s
        (directory.imports): the name's search key."""
        self.name_search = name_key(self.name)

    def confirmed_on(self, group: str) -> date | None:
        """When the fact group `group` (a FACT_GROUPS key) was last confirmed, if ever."""
        return getattr(self, f"{group}_confirmed")

    def fact_groups(self, treats_at_home: bool) -> list[str]:
        """The keys of the fact groups that apply: at-home care only to at-home providers."""
        return [
            group.key for group in FACT_GROUPS if treats_at_home or group.key not in AT_HOME_GROUPS
        ]

    def clean(self):
        if self.external_id is not None:
            self.external_id = self.external_id.strip() or None
        if (
            self.price_min is not None
            and self.price_max is not None
            and self.price_min > self.price_max
        ):
            raise ValidationError(
                {"price_max": _("The highest price must be at least the lowest price.")}
            )


class SpacedList(Aggregate):
    """A group's values between spaces, " en es " (in no set order), for lookups of
    " es " as ProviderQuerySet.named() looks up words; NULL for no rows."""

    function = "STRING_AGG"
    template = "' ' || %(function)s(%(expressions)s, ' ') || ' '"
    output_field = models.TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def bits_of(links: type[models.Model], number: F | Case) -> Cast:
    """The bits (term_bit()) of a location's provider's links in a many-to-many table,
    by their term's `number` (a column, or an expression), in SQL."""
    linked = links._default_manager.alias(number=number).filter(
        provider=OuterRef("provider"), number__lte=MAX_TERM_BIT
    )
    # Each (provider, term) pair is unique, so the sum of the bits is their OR.
    bit = CombinedExpression(
        Cast(Value(1), BigIntegerField()), Combinable.BITLEFTSHIFT, Cast("number", IntegerField())
    )
    per_provider = linked.order_by().values("provider").annotate(bits=Sum(bit))
    return Cast(Coalesce(Subquery(per_provider.values("bits")), 0), BigIntegerField())


# Location's copies of its provider (LocationQuerySet.copy_provider_filters()).
SEARCH_COPIES = (
    "published",
    "condition_bits",
    "treatment_bits",
    "payment_bits",
    "accepting",
    "offers_kap",
    "price_min",
    "last_verified",
    "provider_name",
    "name_search",
    "languages",
)
# The provider's own fields that they copy (the rest are its links).
COPIED_PROVIDER_FIELDS = frozenset(
    {"status", "accepting_new_patients", "kap", "price_min", "last_verified", "name", "name_search"}
)


class LocationQuerySet(models.QuerySet):
    def published(self) -> Self:
        """Sites of published providers: the ones patients may see."""
        return self.filter(provider__status=Provider.Status.PUBLISHED)

    def states(self):
        """One row per state: state (code), state__name, and how many clinics are there."""
        return (
            self.values("state", "state__name")
            .annotate(clinics=Count("provider", distinct=True))
            .order_by("state__name")
        )

    def cities(self):
        """One row per city: city_slug, name, and how many providers have a site there."""
        return (
            self.values("city_slug")
            .annotate(name=Min("city"), providers=Count("provider", distinct=True))
            .order_by("city_slug")
        )

    def copy_provider_filters(self) -> int:
        """Copy onto these rows what a radius search filters on: whether their provider
        is published, its conditions, treatments and payment options (as bits), whether
        it is accepting new patients and offers psychotherapy, its lowest price, when it
        was last verified, its name (and its words) and the languages spoken.
        Signals call it on every save of a provider, its terms or a location
        (directory/apps.py), or once for many at the end of deferred_copies(); code
        that writes with QuerySet.update() or bulk_create() calls it itself."""
        provider = Provider.objects.filter(pk=OuterRef("provider"))
        spoken = (
            Provider.languages.through.objects.filter(provider=OuterRef("provider"))
            .order_by()
            .values("provider")
            .annotate(codes=SpacedList("language"))
        )
        return self.update(
            published=Exists(provider.filter(status=Provider.Status.PUBLISHED)),
            condition_bits=bits_of(Provider.conditions.through, F("condition_id")),
            treatment_bits=bits_of(Provider.treatments.through, F("treatment_id")),
            payment_bits=bits_of(
                Provider.payment_options.through,
                Case(
                    *(When(paymentoption=slug, then=n) for slug, n in PAYMENT_NUMBERS.items()),
                    default=MAX_TERM_BIT + 1,
                    output_field=IntegerField(),
                ),
            ),
            accepting=Exists(provider.filter(accepting_new_patients=True)),
            offers_kap=Exists(provider.filter(kap__in=Provider.KAP_OFFERED)),
            price_min=Subquery(provider.values("price_min")[:1]),
            last_verified=Subquery(provider.values("last_verified")[:1]),
            provider_name=Subquery(provider.values("name")[:1]),
            name_search=Subquery(provider.values("name_search")[:1]),
            languages=Coalesce(Subquery(spoken.values("codes")), Value("")),  # type: ignore[misc]
        )

    def searchable(self, condition_id: int | None = None) -> Self:
        """Sites of published providers (treating `condition_id`), by the copies on the rows."""
        sites = self.filter(published=True)
        if condition_id is not None:
            if (bit := term_bit(condition_id)) is None:
                treating = Provider.conditions.through.objects.filter(
                    provider=OuterRef("provider"), condition_id=condition_id
                )
                return sites.filter(Exists(treating))
            sites = sites.alias(bit=F("condition_bits").bitand(bit)).exclude(bit=0)
        return sites

    def with_copied_facts(
        self,
        *,
        treatment_ids: Collection[int] | None = None,
        payments: Collection[str] = (),
        accepting: bool = False,
        max_price: int | None = None,
        kap: bool = False,
        language: str | None = None,
        name_words: Collection[str] = (),
    ) -> Self | None:
        """These sites, of providers with any of the treatments and any of the payment
        options (slugs), accepting new patients, a lowest price of at most `max_price`,
        psychotherapy, staff speaking `language` and a name of `name_words`, as asked,
        by the copies on the rows (ProviderQuerySet's offering_any() … named() say the
        same of providers); None when a treatment or payment option has no bit, to be
        asked of the provider."""
        treatments = term_bits(treatment_ids or ())
        paying = term_bits(PAYMENT_NUMBERS.get(slug, -1) for slug in payments)
        if treatments is None or paying is None:
            return None
        sites = self
        if treatment_ids is not None:
            if not treatments:
                return sites.none()
            sites = sites.alias(treats=F("treatment_bits").bitand(treatments)).exclude(treats=0)
        if paying:
            sites = sites.alias(pays=F("payment_bits").bitand(paying)).exclude(pays=0)
        if accepting:
            sites = sites.filter(accepting=True)
        if max_price is not None:
            sites = sites.filter(price_min__lte=max_price)
        if kap:
            sites = sites.filter(offers_kap=True)
        if language:
            sites = sites.filter(languages__contains=f" {language} ")
        return sites.filter(*(NameWordStarts(word) for word in name_words))

    def survey(
        self,
        point: tuple[float, float],
        needed: int,
        read: int = SURVEY_SITES,
        after: int | None = None,
    ) -> "Survey":
        """Read up to `read` of these sites (of a radius search: within() first),
        nearest first on PostgreSQL (its GiST index), in one query: how many there are
        and how many providers have them, a radius within which `needed` of those
        providers have a site, and how far the farthest one read is. With `after`, also
        the providers after the first `after` up to `needed`, in a search's
        nearest-first order, with how far each one's nearest site is, when the sites it
        read hold them all.

        A search then ranks only the providers within that radius to find its first
        `needed`: any providers that have sites within it do. The distances are exact;
        how roughly the index orders the sites only changes how small the radius gets.
        Those providers' nearest sites are all among the ones read when it read every
        site there is, or when the index read every site closer in degrees than any
        within the radius can be (geo.plane_reach()): then the search reads only their
        sites (Survey.picked, search.picked_sites()).
        """
        seen = self.order_by()
        # Not the sites' ids: the GiST index carries the rest, and PostgreSQL reads the
        # circle's sites from the index alone (at a million, a city's 1,500 in 5 ms
        # against 40 ms from the table).
        columns = ["provider_id", "provider_name", "distance"]
        in_plane = {}  # how far each site read is in degrees, when read nearest first
        if connection.vendor == "postgresql":
            seen = seen.order_by(PointOrder(point))
            in_plane = {"plane": PointOrder(point)}
        sql, params = seen.values(*columns, **in_plane)[:read].query.sql_with_params()
        plane = "MAX(plane)" if in_plane else "NULL"
        # The providers ranked by their nearest site, as search.RANKINGS[None] ranks them
        # (a provider's name is the same on each of its sites): the needed-th one's
        # distance is the radius. The ORM cannot say a query over a CTE; `sql` is its
        # own, with its parameters apart, and `plane` one of the above.
        survey_sql = (
            f"WITH seen ({', '.join([*columns, *in_plane])}) AS ({sql}), "  # noqa: S608
            "firsts AS (SELECT provider_id, distance, ROW_NUMBER() OVER ("
            "ORDER BY distance, provider_name, provider_id) AS place FROM ("
            "SELECT provider_id, MIN(distance) AS distance, MIN(provider_name) AS provider_name "
            "FROM seen GROUP BY provider_id) AS nearest) "
            "SELECT counted.*, firsts.place, firsts.provider_id, firsts.distance FROM ("
            "SELECT COUNT(*) AS sites, COUNT(DISTINCT provider_id) AS providers, "
            f"MAX(distance) AS farthest, {plane} AS plane FROM seen) AS counted "
            "LEFT JOIN firsts ON firsts.place > %s AND firsts.place <= %s "
            "ORDER BY firsts.place"
        )
        needed = max(needed, 1)
        with connection.cursor() as cursor:
            cursor.execute(survey_sql, [*params, needed - 1 if after is None else after, needed])
            rows = cursor.fetchall()
        sites, providers, farthest, plane_read = rows[0][:4]
        nth = next((distance for _, _, _, _, place, _, distance in rows if place == needed), None)
        reach = None if nth is None else nth + REACH_MARGIN_MILES
        picked = None
        if after is not None and (
            sites < read
            or (
                plane_read is not None
                and reach is not None
                and (bound := geo.plane_reach(point, reach)) is not None
                # A site as far in degrees as the last one read may not have been read.
                and bound * (1 + 1e-9) < plane_read
            )
        ):
            picked = tuple((provider, miles) for *_, place, provider, miles in rows if place)
        nearest_first = connection.vendor == "postgresql"
        return Survey(sites, providers, reach, read, farthest if nearest_first else None, picked)

    def within(self, point: tuple[float, float], radius_miles: float) -> Self:
        """Sites within `radius_miles` of `point` (the box first, then the distance)."""
        box = geo.bounding_box(point, radius_miles + RADIUS_TOLERANCE_MILES)
        return (
            self.filter(InBox(box))
            .annotate(distance=GreatCircleMiles(point))
            .filter(distance__lte=radius_miles + RADIUS_TOLERANCE_MILES)
        )


class Location(FewColumnsModel):
    """A physical site where a provider sees patients (not a searched place)."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Typed by an editor"
        GAZETTEER = "gazetteer", "ZIP code centre"
        GEOCODER = "geocoder", "Geocoded address"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="locations")
    address1 = models.CharField("address", max_length=200)
    address2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    city_slug = models.SlugField(max_length=100, editable=False)
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="locations")
    zip = models.CharField("ZIP", max_length=10, validators=[zip_validator])
    latitude = models.FloatField(
        null=True,
        blank=True,
        validators=latitude_validators,
        help_text="Leave both coordinates empty to fill them from the address.",
    )
    longitude = models.FloatField(null=True, blank=True, validators=longitude_validators)
    coordinates_source = models.CharField(
        max_length=10, choices=Source.choices, blank=True, editable=False
    )
    phone = PhoneField(blank=True)
    opening_hours = models.JSONField(
        default=list,
        blank=True,
        help_text="A list of {day (0 is Monday), opens, closes} in 24-hour HH:MM.",
    )
    hours = models.TextField(
        "note on hours",
        blank=True,
        help_text="Anything the hours above cannot say, e.g. “Closed on federal holidays”.",
    )
    wheelchair_accessible = models.BooleanField(null=True, blank=True)
    private_room = models.BooleanField("private treatment room", null=True, blank=True)
    # Copies of what a search filters on of the provider, kept in step by
    # copy_provider_filters(): a radius search checks them on the location rows it
    # reads from the index instead of probing the provider for each of thousands.
    published = models.BooleanField(default=False, editable=False)
    condition_bits = models.BigIntegerField(default=0, editable=False)
    treatment_bits = models.BigIntegerField(default=0, editable=False)
    payment_bits = models.BigIntegerField(default=0, editable=False)
    accepting = models.BooleanField(default=False, editable=False)
    offers_kap = models.BooleanField(default=False, editable=False)
    price_min = models.PositiveIntegerField(null=True, editable=False)
    last_verified = models.DateField(null=True, editable=False)
    provider_name = models.CharField(max_length=200, blank=True, default="", editable=False)
    name_search = models.TextField(blank=True, default="", editable=False)
    # The codes of the languages spoken, between spaces (" en es "); "" for none.
    languages = models.TextField(blank=True, default="", editable=False)

    objects = LocationQuerySet.as_manager()
    # The slug follows the city; the copies follow the provider.
    history = History(excluded_fields=["city_slug", *SEARCH_COPIES])

    class Meta:
        ordering = ["provider", "id"]
        indexes = [
            # Radius search: a bounding box on latitude, then longitude.
            # The box of a radius search; carrying provider_id lets PostgreSQL answer
            # from the index alone (at 1,000,000 providers a dense city's box holds
            # 46,000 locations, and fetching their rows took 250 ms of a 600 ms query).
            models.Index(
                fields=["latitude", "longitude"], include=["provider"], name="location_box_idx"
            ),
            models.Index(fields=["state", "city_slug"]),
            # A state's clinics (directory.search.state_page): by city, read in the
            # index's order; by price, name or when verified, its sites found here with
            # the copies they are ranked on; counted from the index alone either way.
            models.Index(
                fields=["state", "city"],
                include=["provider", *SEARCH_COPIES],
                name="location_state_city_idx",
            ),
            # A name search with no place (directory.search.name_page): the sites in
            # their provider's name order, each provider's together, with every copy
            # it filters on, so that the page and the capped count read this alone.
            # At a million providers the count for "wellness" (PTSD) read 24,600
            # providers and probed their sites and conditions, 27-39 ms; 10 ms here.
            # With the coordinates, a dense circle's page by name walks this order too
            # (directory.search.walked_by_name).
            models.Index(
                fields=["provider_name", "provider", "id"],
                include=[
                    *(copy for copy in SEARCH_COPIES if copy != "provider_name"),
                    "latitude",
                    "longitude",
                ],
                name="location_name_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="location_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="location_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="location_coordinates_paired",
            ),
        ]

    def __str__(self):
        return f"{self.address1}, {self.city}, {self.state_id} {self.zip}"

    def save(self, *args, **kwargs):
        self.set_derived_fields()
        super().save(*args, **kwargs)

    def set_derived_fields(self) -> None:
        """What save() works out from the other fields, for a writer that bulk_create()s
        (directory.imports): the city's slug, and coordinates given without a source are
        an editor's."""
        self.city_slug = slugify(self.city)
        if self.has_coordinates and not self.coordinates_source:
            self.coordinates_source = self.Source.MANUAL

    def clean(self):
        if self.city and not slugify(self.city):
            # The city's landing page lives at its slug.
            raise ValidationError({"city": "Enter a city name with letters in it."})
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError("Enter both latitude and longitude, or neither.")
        if not isinstance(self.opening_hours, list):
            raise ValidationError({"opening_hours": "Opening hours are a list of openings."})
        try:
            self.opening_hours = check_hours(self.opening_hours)
        except HoursError as error:
            raise ValidationError({"opening_hours": str(error)}) from None

    def regeocode(self, centres=None):
        """Forget the coordinates and place the site from its address again; return a warning.

        Replaces coordinates an editor typed too: callers keep those when they should.
        Does not save. `centres`: as geocoding.fill_coordinates() takes them.
        """
        # geocoding reads this module's models, so it is imported when first needed.
        from directory.geocoding import fill_coordinates

        self.latitude = self.longitude = None
        self.coordinates_source = ""
        return fill_coordinates(self, centres)

    @property
    def has_coordinates(self):
        return self.latitude is not None and self.longitude is not None

    @property
    def state_name(self):
        return STATES[self.state_id]


class Place(models.Model):
    """A gazetteer entry: a ZIP centroid, or a city centroid derived from its ZIPs."""

    class Kind(models.TextChoices):
        ZIP = "zip", "ZIP code"
        CITY = "city", "City"

    kind = models.CharField(max_length=4, choices=Kind.choices)
    zip = models.CharField(max_length=5, null=True, blank=True, unique=True)
    name = models.CharField(max_length=100, help_text="The city, as the postal service names it.")
    name_key = models.CharField(max_length=100, help_text="The name normalised for lookups.")
    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="places")
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        indexes = [
            models.Index(fields=["name_key", "state"]),
            models.Index(fields=["latitude", "longitude"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="zip", zip__isnull=False) | Q(kind="city", zip__isnull=True),
                name="place_zip_only_for_zip_kind",
            ),
        ]

    def __str__(self):
        if self.zip:
            return f"{self.name}, {self.state_id} {self.zip}"
        return f"{self.name}, {self.state_id}"


class VerificationQuerySet(models.QuerySet):
    def latest_first(self) -> Self:
        return self.order_by("-verified_on", "-created_at", "-pk")


class Verification(models.Model):
    """Evidence that a listing was checked: when, how, by whom, and what was seen.

    Provider.last_verified is the latest of these dates (directory/moderation.py's
    provider_verify() writes both); rows are never changed or deleted by editors.
    """

    class Method(models.TextChoices):
        # The labels finish the sentence "Verified on <date> (…)" on the profile.
        PHONE = "phone", _("by phone")
        EMAIL_ON_FILE = "email-on-file", _("by email to the address on file")
        PRACTICE_UPDATE = "practice-update", _("through an update the practice confirmed")
        WEBSITE = "website", _("on the provider’s website")
        DOCUMENT = "document", _("from a document the provider sent")
        REGISTRY = "registry", _("in a public registry (NPI, state licence board or Spravato REMS)")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="verifications")
    verified_on = models.DateField(default=timezone.localdate)
    method = models.CharField(max_length=20, choices=Method.choices)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    note = models.CharField(
        max_length=500,
        blank=True,
        help_text="What you checked and where, e.g. “Called the front desk; phone confirmed”.",
    )
    submission = models.ForeignKey(
        "directory.Submission",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="verifications",
        help_text="The report or proposal this verification came from, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VerificationQuerySet.as_manager()

    class Meta:
        ordering = ["-verified_on", "-created_at"]
        get_latest_by = ["verified_on", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    method__in=[
                        "phone",
                        "email-on-file",
                        "practice-update",
                        "website",
                        "document",
                        "registry",
                    ]
                ),
                name="verification_method_valid",
            ),
        ]

    def __str__(self):
        on = self.verified_on
        return f"Verified on {on:%B} {on.day}, {on.year} ({self.get_method_display()})"


# Receivers that keep the locations' copies of their provider (SEARCH_COPIES) in step
# (connected in directory/apps.py).

# The providers whose sites' copies are due, within deferred_copies(); None outside.
copies_due: ContextVar[set[int] | None] = ContextVar("copies_due", default=None)
# Providers per UPDATE when deferred copies are made: SQLite caps a query's parameters.
COPY_BATCH = 500


@contextmanager
def deferred_copies() -> Iterator[None]:
    """Within it, the receivers below note whose copies are due instead of copying at
    every save; leaving it copies them all, a few hundred providers an UPDATE.

    For a writer that saves many providers in one transaction (the CSV importer): a
    provider's save, its links' and each of its sites' made three UPDATEs each, whose
    building in the ORM was two thirds of an import's time. Enter it inside the
    transaction, so that the copies are written in it; an exception leaves it without
    copying, as the transaction is rolled back anyway.
    """
    due: set[int] = set()
    token = copies_due.set(due)
    try:
        yield
    finally:
        copies_due.reset(token)
    ordered = sorted(due)
    for start in range(0, len(ordered), COPY_BATCH):
        batch = ordered[start : start + COPY_BATCH]
        Location.objects.filter(provider__in=batch).copy_provider_filters()


def copy_to_sites_of(provider_id: int) -> None:
    """Copy onto the provider's sites what a search filters on, now or, within
    deferred_copies(), when it ends."""
    if (due := copies_due.get()) is not None:
        due.add(provider_id)
    else:
        Location.objects.filter(provider=provider_id).copy_provider_filters()


def copy_provider_to_locations(sender, instance, update_fields=None, **kwargs):
    """post_save of a Provider: its status, intake, price or psychotherapy may have changed."""
    if update_fields is None or COPIED_PROVIDER_FIELDS.intersection(update_fields):
        copy_to_sites_of(instance.pk)


def copy_location_provider(sender, instance, **kwargs):
    """post_save of a Location: a new site, or one moved to another provider."""
    if (due := copies_due.get()) is not None:
        due.add(instance.provider_id)
    else:
        Location.objects.filter(pk=instance.pk).copy_provider_filters()


def copy_terms_to_locations(sender, instance, action, **kwargs):
    """m2m_changed of a provider's conditions, treatments or payment options (changed
    from the provider's side: the history of a provider's links cannot be kept from
    the term's)."""
    if action in {"post_add", "post_remove", "post_clear"}:
        copy_to_sites_of(instance.pk)


def copy_after_term_deleted(sender, instance, **kwargs):
    """post_delete of a Condition or Treatment: its links went by cascade, without
    m2m_changed."""
    if (bit := term_bit(instance.pk)) is not None:
        column = "condition_bits" if sender is Condition else "treatment_bits"
        Location.objects.alias(bit=F(column).bitand(bit)).exclude(bit=0).copy_provider_filters()


# The moderation queue's model has its own module; imported here so Django finds it.
from directory.submissions import Submission as Submission  # noqa: E402
