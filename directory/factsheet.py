"""A provider as groups of labelled facts: the one place the profile and the compare page read.

A fact whose value is None is unknown: pages say "Not confirmed yet", never "No"
and never a guess. Which safety notes apply to a listing is decided here too,
so the profile and the compare page cannot disagree about it.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from directory.facts import DAYS, FACT_GROUPS, PAYMENT_OPTIONS, OpeningRange
from directory.models import PROVIDER_RELATIONS, Location, Provider

UNKNOWN = "Not confirmed yet"
NO_SITE = "No clinic to visit (at-home care only)"
NO_AT_HOME = "Does not treat patients at home"
SPRAVATO = "esketamine-nasal-spray"

# What the profile and the compare page read from related tables: prefetch them
# all so a page takes the same number of queries whatever the provider holds.
FACT_RELATIONS = ("locations", *PROVIDER_RELATIONS)


@dataclass(frozen=True)
class Fact:
    """One labelled fact; `value` None means nobody has confirmed it yet."""

    key: str  # the same for every provider, so a comparison can line facts up
    label: str
    value: str | None
    per_site: bool = False  # summarised over the sites; the profile shows each site instead

    @property
    def known(self) -> bool:
        return self.value is not None

    @property
    def shown(self) -> str:
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
    title: str
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
    overview: tuple[Fact, ...]
    groups: tuple[Group, ...]
    sites: tuple[Site, ...]
    notes: tuple[Note, ...] = field(default=())  # every note that applies, page order

    def group(self, key: str) -> Group | None:
        return next((group for group in self.groups if group.key == key), None)


# --- Building a fact sheet ---------------------------------------------------------


def fact_sheet(provider: Provider) -> FactSheet:
    """Every fact group that applies to `provider` (its relations prefetched: FACT_RELATIONS)."""
    states = list(provider.serves_states.all())
    treatments = list(provider.treatments.all())
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
        "access": lambda: access_facts(provider, sites),
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
        overview=overview_facts(provider, sites, states),
        groups=tuple(groups),
        sites=sites,
        notes=notes,
    )


def yes_no(value: bool | None, yes: str = "Yes", no: str = "No") -> str | None:
    """Yes or No for a confirmed answer; None (unknown) stays None, never "No"."""
    if value is None:
        return None
    return yes if value else no


def dollars(amount: int) -> str:
    return f"${amount:,}"


def price_range(low: int | None, high: int | None) -> str | None:
    """A range (en dash), one price, "From $300" or "Up to $1,500"; None if neither is known."""
    if low is not None and high is not None:
        return dollars(low) if low == high else f"{dollars(low)}–{dollars(high)}"
    if low is not None:
        return f"From {dollars(low)}"
    if high is not None:
        return f"Up to {dollars(high)}"
    return None


def names(items: Iterable[object]) -> str | None:
    """The items' names, comma-separated; None for none (an empty list is not a "no")."""
    return ", ".join(str(item) for item in items) or None


def text(value: str) -> str | None:
    return value.strip() or None


def count(number: int | None, unit: str) -> str | None:
    if number is None:
        return None
    return f"{number} {unit}{'' if number == 1 else 's'}"


def cost_facts(provider: Provider) -> tuple[Fact, ...]:
    fee = provider.consultation_fee
    return (
        Fact("price", "Price per session", price_range(provider.price_min, provider.price_max)),
        Fact(
            "consultation_fee",
            "Consultation fee",
            None if fee is None else ("Free" if fee == 0 else dollars(fee)),
        ),
        Fact(
            "course_price",
            "Price of a typical course",
            None if provider.course_price is None else dollars(provider.course_price),
        ),
        Fact("price_includes", "What the price includes", text(provider.price_includes)),
        Fact("cancellation_terms", "Cancellation and refunds", text(provider.cancellation_terms)),
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
        Fact(f"payment-{slug}", PAYMENT_OPTIONS[slug], yes_no(status, "Accepted", "Not accepted"))
        for slug, status in payment_status(provider).items()
    )


def payment_summary(provider: Provider) -> tuple[Fact, ...]:
    """Accepted and not accepted, then the options nobody has confirmed either way."""
    status = payment_status(provider)
    by_answer: dict[bool | None, list[str]] = {True: [], False: [], None: []}
    for slug, answer in status.items():
        by_answer[answer].append(PAYMENT_OPTIONS[slug])
    if not by_answer[True] and not by_answer[False]:
        return (Fact("payment", "Ways to pay", None),)
    summary = []
    if by_answer[True]:
        summary.append(Fact("accepted", "Accepted", names(by_answer[True])))
    if by_answer[False]:
        summary.append(Fact("declined", "Not accepted", names(by_answer[False])))
    if by_answer[None]:
        summary.append(Fact("unconfirmed", UNKNOWN, names(by_answer[None])))
    return tuple(summary)


def treatment_facts(provider: Provider, treatments: Sequence[object]) -> tuple[Fact, ...]:
    return (
        Fact("treatments", "Treatments offered", names(treatments)),
        Fact(
            "rems_certified",
            "Certified to give Spravato (REMS)",
            yes_no(provider.rems_certified, "Certified", "Not certified"),
        ),
    )


def prescriber_facts(provider: Provider) -> tuple[Fact, ...]:
    director = provider.medical_director_name.strip()
    if director and provider.medical_director_credential:
        director = f"{director}, {provider.medical_director_credential}"
    return (
        Fact("prescriber_types", "Who prescribes", names(provider.prescriber_types.all())),
        Fact("board_certified", "Prescribers board-certified", yes_no(provider.board_certified)),
        Fact("medical_director", "Medical director", director or None),
        Fact("npi", "National Provider Identifier (NPI)", text(provider.npi)),
    )


def minutes(value: int | None) -> str | None:
    if value is None:
        return None
    if value >= 60 and value % 60 == 0:
        return f"{count(value, 'minute')} ({count(value // 60, 'hour')})"
    return count(value, "minute")


def safety_facts(provider: Provider) -> tuple[Fact, ...]:
    return (
        Fact("vitals_monitored", "Vital signs monitored", yes_no(provider.vitals_monitored)),
        Fact(
            "present_throughout",
            "Who is present throughout",
            provider.get_present_throughout_display() or None,
        ),
        Fact(
            "observation_minutes",
            "Observation after a dose",
            minutes(provider.observation_minutes),
        ),
        Fact("ride_home_required", "Ride home required", yes_no(provider.ride_home_required)),
    )


def intake_facts(provider: Provider) -> tuple[Fact, ...]:
    return (
        Fact(
            "consultation_required",
            "Consultation required first",
            yes_no(provider.consultation_required),
        ),
        Fact(
            "consultation_fee_refunded",
            "Consultation fee refunded if not a candidate",
            yes_no(provider.consultation_fee_refunded),
        ),
        Fact(
            "referral_required",
            "Referral or records required",
            yes_no(provider.referral_required),
        ),
        Fact(
            "existing_patients_only",
            "Existing patients only",
            yes_no(provider.existing_patients_only),
        ),
    )


def psychotherapy_facts(provider: Provider) -> tuple[Fact, ...]:
    return (Fact("kap", "Ketamine-assisted psychotherapy", provider.get_kap_display() or None),)


def course_facts(provider: Provider) -> tuple[Fact, ...]:
    return (
        Fact("course_sessions", "Sessions in a course", count(provider.course_sessions, "session")),
        Fact("course_weeks", "Length of a course", count(provider.course_weeks, "week")),
        Fact("course_notes", "About the course", text(provider.course_notes)),
    )


def telehealth_facts(provider: Provider, state_names: list[str]) -> tuple[Fact, ...]:
    return (
        Fact("states", "States", names(state_names)),
        Fact(
            "in_person_evaluation",
            "In-person evaluation first",
            yes_no(provider.in_person_evaluation),
        ),
        Fact("compounded", "Compounded ketamine", yes_no(provider.compounded)),
        Fact("sent_home", "What is sent home", text(provider.sent_home)),
    )


def access_facts(provider: Provider, sites: Sequence[Site]) -> tuple[Fact, ...]:
    wait = provider.wait_days
    return (
        Fact(
            "accepting_new_patients",
            "Accepting new patients",
            yes_no(provider.accepting_new_patients),
        ),
        Fact(
            "wait_days",
            "Wait for a first appointment",
            None if wait is None else ("Same day" if wait == 0 else count(wait, "day")),
        ),
        Fact("languages", "Languages spoken", names(provider.languages.all())),
        over_sites("hours", "Opening hours", sites, lambda site: site.hours_line),
        over_sites("wheelchair", "Wheelchair access", sites, lambda site: site.wheelchair.value),
        over_sites(
            "private_room", "Private treatment room", sites, lambda site: site.private_room.value
        ),
    )


def over_sites(
    key: str, label: str, sites: Sequence[Site], value: Callable[[Site], str | None]
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
        where.append(f"At home in {count(len(states), 'state')}")
    return (
        Fact("where", "Where", "; ".join(dict.fromkeys(where)) or None),
        Fact("conditions", "Conditions treated", names(provider.conditions.all())),
    )


# --- Sites and opening hours -------------------------------------------------------


def site_facts(location: Location) -> Site:
    return Site(
        location=location,
        hours=hours_lines(location.opening_hours or []),
        hours_note=location.hours.strip(),
        wheelchair=Fact("wheelchair", "Wheelchair access", yes_no(location.wheelchair_accessible)),
        private_room=Fact("private_room", "Private treatment room", yes_no(location.private_room)),
    )


def clock_text(value: str) -> str:
    """ "08:00" → "8:00 AM"; midnight, at either end of a day, by name."""
    hours, minutes = map(int, value.split(":"))
    if (hours, minutes) in {(0, 0), (24, 0)}:
        return "midnight"
    if (hours, minutes) == (12, 0):
        return "noon"
    suffix = "AM" if hours < 12 else "PM"
    return f"{(hours - 1) % 12 + 1}:{minutes:02d} {suffix}"


def day_span(first: int, last: int) -> tuple[str, str]:
    """The long and short names of days `first` to `last` (0 is Monday): Monday to Friday."""
    if first == last:
        return DAYS[first], DAYS[first][:3]
    joiner = " and " if last == first + 1 else " to "
    return f"{DAYS[first]}{joiner}{DAYS[last]}", f"{DAYS[first][:3]}–{DAYS[last][:3]}"


def hours_lines(ranges: list[OpeningRange]) -> tuple[HoursLine, ...]:
    """The week, days with the same times together; days with no opening are closed.

    Empty when no hours were given: that is unknown, not "closed all week".
    """
    if not ranges:
        return ()
    by_day: list[tuple[tuple[str, str], ...]] = [() for _ in DAYS]
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
        times = ", ".join(f"{clock_text(o)} to {clock_text(c)}" for o, c in spans) or "Closed"
        short = ", ".join(f"{clock_text(o)}–{clock_text(c)}" for o, c in spans) or "closed"
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
    label: str
    cells: tuple[Fact, ...]  # one per provider, in the order compared


@dataclass(frozen=True)
class Confirmed:
    """When one provider's group was last confirmed; `applies` False where the group does not."""

    on: date | None
    applies: bool = True


@dataclass(frozen=True)
class ComparedGroup:
    key: str
    title: str
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
            "Overview",
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
