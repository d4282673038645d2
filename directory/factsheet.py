"""A provider as groups of labelled facts: the one place the profile and the compare page read.

A fact whose value is None is unknown: pages say "Not confirmed yet", never "No"
and never a guess. Which safety notes apply to a listing is decided here too,
so the profile and the compare page cannot disagree about it.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db.models import prefetch_related_objects
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy, ngettext, pgettext
from django.utils.translation import gettext as _

from directory.facts import (
    DAYS,
    FACT_GROUPS,
    LANGUAGES,
    PAYMENT_OPTIONS,
    PRESCRIBER_TYPES,
    OpeningRange,
)
from directory.models import (
    Condition,
    FixedTerm,
    Language,
    Location,
    Provider,
    Treatment,
    prefetch_relations,
)

UNKNOWN = gettext_lazy("Not confirmed yet")
NO_SITE = gettext_lazy("No clinic to visit (at-home care only)")
NO_AT_HOME = gettext_lazy("Does not treat patients at home")
SPRAVATO = "esketamine-nasal-spray"
SPANISH = "es"  # the ISO 639-1 code of a language staff speak


def load_facts(providers: Sequence[Provider]) -> None:
    """Fetch what fact_sheet() reads of `providers`: their sites, and their links.

    Two queries whatever the providers hold, for the profile and the compare page.
    """
    prefetch_related_objects(providers, "locations")
    prefetch_relations(providers)


@dataclass(frozen=True)
class Fact:
    """One labelled fact; `value` None means nobody has confirmed it yet."""

    key: str  # the same for every provider, so a comparison can line facts up
    label: str | Promise
    value: str | Promise | None
    per_site: bool = False  # summarised over the sites; the profile shows each site instead
    # The listing's own words as the editors wrote them (in English), not our labels.
    as_written: bool = False

    @property
    def known(self) -> bool:
        return self.value is not None

    @property
    def lang(self) -> str:
        """ "en" where a page in another language shows the listing's English words, so
        screen readers read them as English; "" otherwise."""
        return "en" if self.as_written and self.known and get_language() != "en" else ""

    @property
    def shown(self) -> str | Promise:
        return UNKNOWN if self.value is None else self.value


@dataclass(frozen=True)
class Note:
    """A safety note in our own words; the template under directory/notes/ holds its text."""

    key: str  # compounded, telehealth-rules, spravato-rems, not-endorsement

    @property
    def template(self) -> str:
        return f"directory/notes/{self.key}.html"


COMPOUNDED = Note("compounded")
TELEHEALTH_RULES = Note("telehealth-rules")
SPRAVATO_REMS = Note("spravato-rems")
NOT_ENDORSEMENT = Note("not-endorsement")


@dataclass(frozen=True)
class Group:
    """One of the fact groups of directory/facts.py, as one provider's facts."""

    key: str
    title: str | Promise
    confirmed: date | None
    facts: tuple[Fact, ...]
    # What the profile lists when it differs from `facts` (payment: accepted,
    # not accepted and the rest, rather than one line per option).
    summary: tuple[Fact, ...] = ()
    notes: tuple[Note, ...] = ()

    @property
    def profile_facts(self) -> tuple[Fact, ...]:
        return self.summary or tuple(fact for fact in self.facts if not fact.per_site)


@dataclass(frozen=True)
class HoursLine:
    """Days with the same opening times, e.g. Monday to Friday, 8:00 AM to 5:00 PM.

    `short_days` and `short_times` are the compact forms, with en dashes.
    """

    days: str
    short_days: str
    times: str
    short_times: str


@dataclass(frozen=True)
class Site:
    """What a patient needs to know about one clinic site."""

    location: Location
    hours: tuple[HoursLine, ...]  # empty: not confirmed yet
    hours_note: str
    wheelchair: Fact
    private_room: Fact

    @property
    def facts(self) -> tuple[Fact, ...]:
        return (self.wheelchair, self.private_room)

    @property
    def hours_line(self) -> str | None:
        """The opening hours on one line in the short forms, days separated by semicolons."""
        if not self.hours:
            return None
        return "; ".join(f"{line.short_days} {line.short_times}" for line in self.hours)


@dataclass(frozen=True)
class FactSheet:
    provider: Provider
    treats_at_home: bool
    offers_spravato: bool
    # Staff speak Spanish: the Spanish profile says "Se habla español".
    speaks_spanish: bool
    overview: tuple[Fact, ...]
    groups: tuple[Group, ...]
    sites: tuple[Site, ...]
    notes: tuple[Note, ...] = field(default=())  # every note that applies, page order

    def group(self, key: str) -> Group | None:
        return next((group for group in self.groups if group.key == key), None)


# --- Building a fact sheet ---------------------------------------------------------


def fact_sheet(provider: Provider) -> FactSheet:
    """Every fact group that applies to `provider` (its relations loaded: load_facts())."""
    states = list(provider.serves_states.all())
    treatments = list(provider.treatments.all())
    languages = list(provider.languages.all())
    treats_at_home = bool(states)
    offers_spravato = any(treatment.slug == SPRAVATO for treatment in treatments)
    sites = tuple(site_facts(location) for location in provider.locations.all())
    builders: dict[str, Callable[[], tuple[Fact, ...]]] = {
        "cost": lambda: cost_facts(provider),
        "payment": lambda: payment_facts(provider),
        "treatments": lambda: treatment_facts(provider, treatments),
        "prescribers": lambda: prescriber_facts(provider),
        "safety": lambda: safety_facts(provider),
        "intake": lambda: intake_facts(provider),
        "psychotherapy": lambda: psychotherapy_facts(provider),
        "course": lambda: course_facts(provider),
        "telehealth": lambda: telehealth_facts(provider, [state.name for state in states]),
        "access": lambda: access_facts(provider, sites, languages),
    }
    titles = {group.key: group.title for group in FACT_GROUPS}
    groups = []
    for key in provider.fact_groups(treats_at_home):
        notes: tuple[Note, ...] = ()
        if key == "treatments" and offers_spravato:
            notes = (SPRAVATO_REMS,)
        elif key == "telehealth":
            notes = (COMPOUNDED, TELEHEALTH_RULES)
        groups.append(
            Group(
                key=key,
                title=titles[key],
                confirmed=provider.confirmed_on(key),
                facts=builders[key](),
                summary=payment_summary(provider) if key == "payment" else (),
                notes=notes,
            )
        )
    notes = (*(note for group in groups for note in group.notes), NOT_ENDORSEMENT)
    return FactSheet(
        provider=provider,
        treats_at_home=treats_at_home,
        offers_spravato=offers_spravato,
        speaks_spanish=any(language.slug == SPANISH for language in languages),
        overview=overview_facts(provider, sites, states),
        groups=tuple(groups),
        sites=sites,
        notes=notes,
    )


def yes_no(value: bool | None, yes: str | None = None, no: str | None = None) -> str | None:
    """Yes or No for a confirmed answer; None (unknown) stays None, never "No"."""
    if value is None:
        return None
    if value:
        return _("Yes") if yes is None else yes
    return _("No") if no is None else no


def dollars(amount: int) -> str:
    return f"${amount:,}"


def price_range(low: int | None, high: int | None) -> str | None:
    """A range (en dash), one price, "From $300" or "Up to $1,500"; None if neither is known."""
    if low is not None and high is not None:
        return dollars(low) if low == high else f"{dollars(low)}–{dollars(high)}"
    if low is not None:
        return _("From %(price)s") % {"price": dollars(low)}
    if high is not None:
        return _("Up to %(price)s") % {"price": dollars(high)}
    return None


def names(items: Iterable[object]) -> str | None:
    """The items' names, comma-separated; None for none (an empty list is not a "no")."""
    return ", ".join(str(item) for item in items) or None


def local_names(terms: Iterable[Condition | Treatment]) -> str | None:
    """Conditions' or treatments' names in the page's language, comma-separated."""
    return names(term.local_name for term in terms)


def labels(items: Iterable[FixedTerm], fixed: dict[str, str | Promise]) -> str | None:
    """Fixed-list entries (facts.py) by their label in the page's language, comma-separated
    (the tables hold the English)."""
    return names(fixed.get(item.slug, item) for item in items)


def text(value: str) -> str | None:
    return value.strip() or None


def count_sessions(number: int | None) -> str | None:
    if number is None:
        return None
    return ngettext("%(count)s session", "%(count)s sessions", number) % {"count": number}


def count_weeks(number: int | None) -> str | None:
    if number is None:
        return None
    return ngettext("%(count)s week", "%(count)s weeks", number) % {"count": number}


def count_days(number: int | None) -> str | None:
    if number is None:
        return None
    return ngettext("%(count)s day", "%(count)s days", number) % {"count": number}


def cost_facts(provider: Provider) -> tuple[Fact, ...]:
    fee = provider.consultation_fee
    return (
        Fact("price", _("Price per session"), price_range(provider.price_min, provider.price_max)),
        Fact(
            "consultation_fee",
            _("Consultation fee"),
            None if fee is None else (pgettext("price", "Free") if fee == 0 else dollars(fee)),
        ),
        Fact(
            "course_price",
            _("Price of a typical course"),
            None if provider.course_price is None else dollars(provider.course_price),
        ),
        Fact(
            "price_includes",
            _("What the price includes"),
            text(provider.price_includes),
            as_written=True,
        ),
        Fact(
            "cancellation_terms",
            _("Cancellation and refunds"),
            text(provider.cancellation_terms),
            as_written=True,
        ),
    )


def payment_status(provider: Provider) -> dict[str, bool | None]:
    """Each payment option (slug) → accepted (True), not accepted (False) or unknown (None)."""
    accepted = {option.slug for option in provider.payment_options.all()}
    declined = {option.slug for option in provider.payment_declined.all()}
    return {
        slug: True if slug in accepted else False if slug in declined else None
        for slug in PAYMENT_OPTIONS
    }


def payment_facts(provider: Provider) -> tuple[Fact, ...]:
    return tuple(
        Fact(
            f"payment-{slug}",
            PAYMENT_OPTIONS[slug],
            yes_no(
                status,
                pgettext("payment option", "Accepted"),
                pgettext("payment option", "Not accepted"),
            ),
        )
        for slug, status in payment_status(provider).items()
    )


def payment_summary(provider: Provider) -> tuple[Fact, ...]:
    """Accepted and not accepted, then the options nobody has confirmed either way."""
    status = payment_status(provider)
    by_answer: dict[bool | None, list[str | Promise]] = {True: [], False: [], None: []}
    for slug, answer in status.items():
        by_answer[answer].append(PAYMENT_OPTIONS[slug])
    if not by_answer[True] and not by_answer[False]:
        return (Fact("payment", _("Ways to pay"), None),)
    summary = []
    if by_answer[True]:
        summary.append(
            Fact("accepted", pgettext("payment options", "Accepted"), names(by_answer[True]))
        )
    if by_answer[False]:
        summary.append(
            Fact("declined", pgettext("payment options", "Not accepted"), names(by_answer[False]))
        )
    if by_answer[None]:
        summary.append(Fact("unconfirmed", UNKNOWN, names(by_answer[None])))
    return tuple(summary)


def treatment_facts(provider: Provider, treatments: Sequence[Treatment]) -> tuple[Fact, ...]:
    return (
        Fact("treatments", _("Treatments offered"), local_names(treatments)),
        Fact(
            "rems_certified",
            _("Certified to give Spravato (REMS)"),
            yes_no(provider.rems_certified, _("Certified"), _("Not certified")),
        ),
    )


def prescriber_facts(provider: Provider) -> tuple[Fact, ...]:
    director = provider.medical_director_name.strip()
    if director and provider.medical_director_credential:
        director = f"{director}, {provider.medical_director_credential}"
    return (
        Fact(
            "prescriber_types",
            _("Who prescribes"),
            labels(provider.prescriber_types.all(), PRESCRIBER_TYPES),
        ),
        Fact("board_certified", _("Prescribers board-certified"), yes_no(provider.board_certified)),
        Fact("medical_director", _("Medical director"), director or None),
        Fact("npi", _("National Provider Identifier (NPI)"), text(provider.npi)),
    )


def minutes(value: int | None) -> str | None:
    if value is None:
        return None
    in_minutes = ngettext("%(count)s minute", "%(count)s minutes", value) % {"count": value}
    if value >= 60 and value % 60 == 0:
        hours = value // 60
        in_hours = ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
        return f"{in_minutes} ({in_hours})"
    return in_minutes


def safety_facts(provider: Provider) -> tuple[Fact, ...]:
    return (
        Fact("vitals_monitored", _("Vital signs monitored"), yes_no(provider.vitals_monitored)),
        Fact(
            "present_throughout",
            _("Who is present throughout"),
            provider.get_present_throughout_display() or None,
        ),
        Fact(
            "observation_minutes",
            _("Observation after a dose"),
            minutes(provider.observation_minutes),
        ),
        Fact("ride_home_required", _("Ride home required"), yes_no(provider.ride_home_required)),
    )


def intake_facts(provider: Provider) -> tuple[Fact, ...]:
    return (
        Fact(
            "consultation_required",
            _("Consultation required first"),
            yes_no(provider.consultation_required),
        ),
        Fact(
            "consultation_fee_refunded",
            _("Consultation fee refunded if not a candidate"),
            yes_no(provider.consultation_fee_refunded),
        ),
        Fact(
            "referral_required",
            _("Referral or records required"),
            yes_no(provider.referral_required),
        ),
        Fact(
            "existing_patients_only",
            _("Existing patients only"),
            yes_no(provider.existing_patients_only),
        ),
    )


def psychotherapy_facts(provider: Provider) -> tuple[Fact, ...]:
    return (Fact("kap", _("Ketamine-assisted psychotherapy"), provider.get_kap_display() or None),)


def course_facts(provider: Provider) -> tuple[Fact, ...]:
    return (
        Fact(
            "course_sessions",
            _("Sessions in a course"),
            count_sessions(provider.course_sessions),
        ),
        Fact(
            "course_weeks",
            _("Length of a course"),
            count_weeks(provider.course_weeks),
        ),
        Fact("course_notes", _("About the course"), text(provider.course_notes), as_written=True),
    )


def telehealth_facts(provider: Provider, state_names: list[str]) -> tuple[Fact, ...]:
    return (
        Fact("states", _("States"), names(state_names)),
        Fact(
            "in_person_evaluation",
            _("In-person evaluation first"),
            yes_no(provider.in_person_evaluation),
        ),
        Fact("compounded", _("Compounded ketamine"), yes_no(provider.compounded)),
        Fact("sent_home", _("What is sent home"), text(provider.sent_home), as_written=True),
    )


def access_facts(
    provider: Provider, sites: Sequence[Site], languages: Sequence[Language]
) -> tuple[Fact, ...]:
    wait = provider.wait_days
    return (
        Fact(
            "accepting_new_patients",
            _("Accepting new patients"),
            yes_no(provider.accepting_new_patients),
        ),
        Fact(
            "wait_days",
            _("Wait for a first appointment"),
            None if wait is None else (_("Same day") if wait == 0 else count_days(wait)),
        ),
        Fact("languages", _("Languages spoken"), labels(languages, LANGUAGES)),
        over_sites("hours", _("Opening hours"), sites, lambda site: site.hours_line),
        over_sites("wheelchair", _("Wheelchair access"), sites, lambda site: site.wheelchair.value),
        over_sites(
            "private_room",
            _("Private treatment room"),
            sites,
            lambda site: site.private_room.value,
        ),
    )


def over_sites(
    key: str,
    label: str | Promise,
    sites: Sequence[Site],
    value: Callable[[Site], str | Promise | None],
) -> Fact:
    """One fact summarised over a provider's sites, each named when there are several."""
    if not sites:
        return Fact(key, label, NO_SITE, per_site=True)
    values = [value(site) for site in sites]
    if all(found is None for found in values):
        return Fact(key, label, None, per_site=True)
    if len(sites) == 1:
        return Fact(key, label, values[0], per_site=True)
    return Fact(
        key,
        label,
        "; ".join(
            f"{site.location.address1}, {site.location.city}: {found or UNKNOWN}"
            for site, found in zip(sites, values, strict=True)
        ),
        per_site=True,
    )


def overview_facts(
    provider: Provider, sites: Sequence[Site], states: Sequence[object]
) -> tuple[Fact, ...]:
    where = [f"{site.location.city}, {site.location.state_id}" for site in sites]
    if states:
        where.append(
            ngettext("At home in %(count)s state", "At home in %(count)s states", len(states))
            % {"count": len(states)}
        )
    return (
        Fact("where", _("Where"), "; ".join(dict.fromkeys(where)) or None),
        Fact("conditions", _("Conditions treated"), local_names(provider.conditions.all())),
    )


# --- Sites and opening hours -------------------------------------------------------


def site_facts(location: Location) -> Site:
    return Site(
        location=location,
        hours=hours_lines(location.opening_hours or []),
        hours_note=location.hours.strip(),
        wheelchair=Fact(
            "wheelchair", _("Wheelchair access"), yes_no(location.wheelchair_accessible)
        ),
        private_room=Fact(
            "private_room", _("Private treatment room"), yes_no(location.private_room)
        ),
    )


def clock_text(value: str) -> str:
    """ "08:00" → "8:00 AM"; midnight, at either end of a day, by name."""
    hours, minutes = map(int, value.split(":"))
    if (hours, minutes) in {(0, 0), (24, 0)}:
        return pgettext("time of day", "midnight")
    if (hours, minutes) == (12, 0):
        return pgettext("time of day", "noon")
    parts = {"hour": (hours - 1) % 12 + 1, "minute": minutes}
    if hours < 12:
        return _("%(hour)d:%(minute)02d AM") % parts
    return _("%(hour)d:%(minute)02d PM") % parts


def day_span(first: int, last: int) -> tuple[str, str]:
    """The long and short names of days `first` to `last` (0 is Monday): Monday to Friday.

    Django's own day names (django.utils.dates), in the page's language; DAYS
    stays the English of schema.org and the API.
    """
    if first == last:
        return capfirst(str(WEEKDAYS[first])), str(WEEKDAYS_ABBR[first])
    ends = {"first": WEEKDAYS[first], "last": WEEKDAYS[last]}
    if last == first + 1:
        span = pgettext("days of the week", "%(first)s and %(last)s") % ends
    else:
        span = pgettext("days of the week", "%(first)s to %(last)s") % ends
    return capfirst(span), f"{WEEKDAYS_ABBR[first]}–{WEEKDAYS_ABBR[last]}"


def hours_lines(ranges: list[OpeningRange]) -> tuple[HoursLine, ...]:
    """The week, days with the same times together; days with no opening are closed.

    Empty when no hours were given: that is unknown, not "closed all week".
    """
    if not ranges:
        return ()
    by_day: list[tuple[tuple[str, str], ...]] = [() for _day in DAYS]
    for item in sorted(ranges, key=lambda item: (item["day"], item["opens"])):
        by_day[item["day"]] += ((item["opens"], item["closes"]),)
    lines = []
    start = 0
    while start < len(DAYS):
        end = start
        while end + 1 < len(DAYS) and by_day[end + 1] == by_day[start]:
            end += 1
        days, short_days = day_span(start, end)
        spans = by_day[start]
        times = ", ".join(
            pgettext("opening hours", "%(opens)s to %(closes)s")
            % {"opens": clock_text(o), "closes": clock_text(c)}
            for o, c in spans
        ) or pgettext("opening hours", "Closed")
        short = ", ".join(f"{clock_text(o)}–{clock_text(c)}" for o, c in spans) or pgettext(
            "opening hours", "closed"
        )
        lines.append(HoursLine(days, short_days, times, short))
        start = end + 1
    return tuple(lines)


def opening_hours_specification(ranges: list[OpeningRange]) -> list[dict[str, object]]:
    """schema.org OpeningHoursSpecification nodes: one per distinct opening, with its days."""
    days_by_span: dict[tuple[str, str], list[str]] = {}
    for item in sorted(ranges, key=lambda item: (item["day"], item["opens"])):
        # schema.org (and search engines) write a close at midnight as 23:59.
        closes = "23:59" if item["closes"] == "24:00" else item["closes"]
        span = (item["opens"], closes)
        days_by_span.setdefault(span, []).append(f"https://schema.org/{DAYS[item['day']]}")
    return [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": days,
            "opens": opens,
            "closes": closes,
        }
        for (opens, closes), days in days_by_span.items()
    ]


# --- Comparing -----------------------------------------------------------------------


@dataclass(frozen=True)
class ComparedRow:
    label: str | Promise
    cells: tuple[Fact, ...]  # one per provider, in the order compared


@dataclass(frozen=True)
class Confirmed:
    """When one provider's group was last confirmed; `applies` False where the group does not."""

    on: date | None
    applies: bool = True


@dataclass(frozen=True)
class ComparedGroup:
    key: str
    title: str | Promise
    confirmed: tuple[Confirmed, ...]  # empty: the group has no confirmation date
    rows: tuple[ComparedRow, ...]


def compare(sheets: Sequence[FactSheet]) -> tuple[ComparedGroup, ...]:
    """The sheets fact by fact: a row per fact, a cell per provider, grouped as on the profile.

    A group that applies to some providers only (care at home) says so in the
    others' cells rather than leaving them blank.
    """
    compared = [
        ComparedGroup(
            "overview",
            _("Overview"),
            (),
            tuple(
                ComparedRow(fact.label, tuple(sheet.overview[index] for sheet in sheets))
                for index, fact in enumerate(sheets[0].overview)
            ),
        )
    ]
    for key, title in FACT_GROUPS:
        groups = [sheet.group(key) for sheet in sheets]
        model = next((group for group in groups if group is not None), None)
        if model is None:
            continue
        rows = []
        for index, fact in enumerate(model.facts):
            cells = tuple(
                group.facts[index] if group else Fact(fact.key, fact.label, NO_AT_HOME)
                for group in groups
            )
            rows.append(ComparedRow(fact.label, cells))
        confirmed = tuple(
            Confirmed(group.confirmed) if group else Confirmed(None, applies=False)
            for group in groups
        )
        compared.append(ComparedGroup(key, title, confirmed, tuple(rows)))
    return tuple(compared)


def safety_notes(sheets: Sequence[FactSheet]) -> tuple[Note, ...]:
    """The safety notes that apply to any of `sheets`, once each (not the endorsement note)."""
    notes = dict.fromkeys(note for sheet in sheets for note in sheet.notes)
    notes.pop(NOT_ENDORSEMENT, None)
    return tuple(notes)
