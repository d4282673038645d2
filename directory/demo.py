"""Fictional demo providers at real ZIP centroids, bulk-loaded and reproducible.

Every demo provider is named "… (demo)", has an external_id starting with
"demo-", a website on the reserved .example domain and a 555-01xx phone
number, so nobody can mistake one for a real clinic.
"""

import bisect
import contextlib
import functools
import gc
import itertools
import operator
import random
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from stdnum import luhn

from core.cache import bump_content_version
from directory.facts import AT_HOME_GROUPS, FACT_GROUPS, PAYMENT_OPTIONS, OpeningRange, parse_hours
from directory.models import (
    PAYMENT_NUMBERS,
    PROVIDER_RELATIONS,
    Condition,
    Location,
    Place,
    Provider,
    State,
    Treatment,
    link_fields,
    term_bit,
)
from directory.names import name_key

DEMO_PREFIX = "demo-"
CHUNK = 5000
WRITERS = 2  # PostgreSQL connections seeding side by side (_copy_side_by_side)
# At-home ketamine is a few national telehealth services, not one per town:
# their number stops growing with the directory.
MAX_AT_HOME = 1000
# Weights here are cumulative, as DemoRandom.weighted() takes them.
KINDS, KIND_WEIGHTS = ["clinic", "at_home", "both"], list(itertools.accumulate([92, 4, 4]))
STATUSES, STATUS_WEIGHTS = ["published", "draft", "closed"], list(itertools.accumulate([92, 5, 3]))
SITE_COUNTS, SITE_COUNT_WEIGHTS = [1, 2, 3], list(itertools.accumulate([72, 20, 8]))

NAME_FIRST = [
    "Cedar",
    "Harbor",
    "Summit",
    "Riverside",
    "Willow",
    "Lakeview",
    "Granite",
    "Evergreen",
    "Meadow",
    "Bluebird",
    "Northstar",
    "Canyon",
    "Prairie",
    "Coastal",
    "Aspen",
    "Juniper",
    "Horizon",
    "Clearwater",
    "Redwood",
    "Magnolia",
    "Sagebrush",
    "Lighthouse",
    "Maple",
    "Silver Creek",
    "Stonebridge",
    "Open Sky",
    "Tidewater",
    "Foothill",
    "Ironwood",
    "Sunrise",
]
NAME_SECOND = [
    "Wellness",
    "Mind & Body",
    "Infusion",
    "Health",
    "Integrative",
    "Mental Health",
    "Pain & Mood",
    "Recovery",
    "Neuro",
    "Care",
]
CLINIC_KINDS = ["Ketamine Clinic", "Infusion Center", "Ketamine Institute", "Ketamine Therapy"]
AT_HOME_KINDS = ["Ketamine at Home", "Telehealth Ketamine", "Virtual Ketamine Care"]
STREETS = [
    "Main",
    "Oak",
    "Pine",
    "Maple",
    "Cedar",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Sunset",
    "Ridge",
    "Church",
    "Mill",
    "River",
    "Spring",
    "Highland",
    "Center",
]
STREET_TYPES = ["St", "Ave", "Blvd", "Rd", "Dr", "Way", "Ln", "Pkwy"]
SUITES = ["", "", "", "Suite 100", "Suite 210", "Suite B", "Floor 2", "Unit 4"]
DIRECTOR_FIRST = ["Alex", "Jordan", "Sam", "Riley", "Morgan", "Casey", "Taylor", "Jamie", "Avery"]
DIRECTOR_LAST = ["Rivera", "Chen", "Okafor", "Novak", "Haddad", "Lindqvist", "Park", "Moreau"]
AREA_CODES = ["212", "305", "312", "404", "415", "503", "512", "602", "617", "720", "808", "907"]
CLINIC_TREATMENTS = ["iv-infusion", "im-injection", "esketamine-nasal-spray"]
AT_HOME_TREATMENTS = ["oral-sublingual", "ketamine-assisted-psychotherapy"]
SPRAVATO, KAP = "esketamine-nasal-spray", "ketamine-assisted-psychotherapy"

# Every many-to-many relation a demo provider has, each bulk-inserted on its own.
RELATIONS = PROVIDER_RELATIONS

# --- Facts: the spread a directory part-way through its phone calls would show ----------

# How far editors got with a listing: every group confirmed, some, or none yet.
DILIGENCE = ["all", "some", "none"]
DILIGENCE_WEIGHTS = list(itertools.accumulate([20, 62, 18]))
# The chance a fact is unknown when its group was confirmed (the provider would not
# say) and when it was not (nobody asked yet).
UNKNOWN_IF_CONFIRMED = 0.05
UNKNOWN_IF_NOT = 0.45

TRUE_FALSE_UNKNOWN = [True, False, None]
ACCEPTING_WEIGHTS = list(itertools.accumulate([70, 10, 20]))
WHEELCHAIR_WEIGHTS = [65, 75, 100]
PRIVATE_ROOM_WEIGHTS = [50, 65, 100]
ACCEPTED, DECLINED, UNKNOWN = "accepted", "declined", "unknown"
PAYMENT_STATES = [ACCEPTED, DECLINED, UNKNOWN]


def _payment_weights(accepted: int, declined: int) -> list[int]:
    return list(itertools.accumulate([accepted, declined, 100 - accepted - declined]))


# (clinics that give Spravato, other providers): insurers pay for Spravato, rarely for
# ketamine itself, so the others are mostly self-pay.
PAYMENT_WEIGHTS = {
    "commercial-insurance": (_payment_weights(65, 10), _payment_weights(10, 50)),
    "medicare": (_payment_weights(45, 15), _payment_weights(5, 35)),
    "medicaid": (_payment_weights(20, 30), _payment_weights(3, 30)),
    "tricare": (_payment_weights(25, 20), _payment_weights(5, 20)),
    "va-community-care": (_payment_weights(20, 20), _payment_weights(8, 20)),
    "self-pay": (_payment_weights(95, 2), _payment_weights(97, 0)),
    "hsa-fsa": (_payment_weights(60, 5), _payment_weights(55, 5)),
    "superbill": (_payment_weights(40, 10), _payment_weights(45, 5)),
    "financing": (_payment_weights(35, 10), _payment_weights(35, 10)),
    "spravato-savings": (_payment_weights(60, 0), _payment_weights(0, 0)),
}
assert set(PAYMENT_WEIGHTS) == set(PAYMENT_OPTIONS)


def _prescribers(weights: dict[str, int]) -> tuple[list[str], list[int]]:
    return list(weights), list(itertools.accumulate(weights.values()))


# (slugs, cumulative weights)
CLINIC_PRESCRIBERS = _prescribers(
    {
        "anesthesiologist": 30,
        "crna": 20,
        "psychiatrist": 25,
        "emergency-physician": 10,
        "other-physician": 10,
        "psychiatric-np": 10,
        "np": 10,
        "pa": 5,
    }
)
AT_HOME_PRESCRIBERS = _prescribers(
    {
        "psychiatric-np": 35,
        "psychiatrist": 30,
        "np": 20,
        "other-physician": 10,
        "pa": 5,
    }
)
OTHER_LANGUAGES = ["vi", "zh", "tl", "ru", "ko", "ar", "fr", "ht"]

PRICE_INCLUDES = [
    "The session, monitoring throughout, and a follow-up call the next day.",
    "The session and an integration check-in within the week.",
    "Medicine, monitoring and recovery time in the clinic.",
    "Each session and the nurse's observation afterwards; the first consultation is separate.",
]
AT_HOME_PRICE_INCLUDES = [
    "The medicine, shipped, and a video check-in before each dose.",
    "Monthly medicine and unlimited messages with the care team.",
]
CANCELLATION_TERMS = [
    "Full refund with 48 hours' notice; later cancellations are charged half.",
    "Free rescheduling with 24 hours' notice; no-shows pay the full price.",
    "Deposits refunded with 72 hours' notice.",
    "Unused sessions of a prepaid course are refunded.",
]
COURSE_NOTES = [
    "Six sessions over two to three weeks, then boosters as needed.",
    "A twice-weekly start, then weekly, then every other week.",
    "Maintenance sessions about monthly once the first course is done.",
    "Progress is reviewed after the third session before going on.",
]
SENT_HOME = [
    "A blood-pressure cuff and a printed safety plan.",
    "Dissolving tablets, a pulse oximeter and a journal.",
    "A month's medicine and a checklist for the person sitting with you.",
]
HOURS_NOTES = [
    "Closed on federal holidays.",
    "Evening appointments by arrangement.",
    "The first visit is always on a weekday morning.",
]
# Opening-hours patterns in the editors' format; the empty one is "not confirmed yet".
OPENING_HOURS: list[list[OpeningRange]] = [
    parse_hours(text)
    for text in [
        "Mon-Fri 08:00-17:00",
        "Mon-Fri 08:00-17:00",
        "Mon-Thu 09:00-18:00; Fri 09:00-13:00",
        "Tue-Sat 08:00-16:00",
        "Mon-Fri 07:00-12:00, 13:00-19:00; Sat 09:00-12:00",
        "Mon 10:00-18:00; Wed 10:00-18:00; Fri 10:00-18:00",
        "",
        "",
    ]
]


def delete_demo_providers():
    """Remove every demo provider, its locations and its links; return how many.

    One DELETE per table (Django's private _raw_delete, what its own deletion
    collector uses): deleting through the ORM would load every row and, with
    change history on, write a history record for each of up to a million
    demo providers, which nobody needs.
    """
    demo = Provider.objects.filter(external_id__startswith=DEMO_PREFIX)
    with transaction.atomic():
        Location.objects.filter(provider__in=demo)._raw_delete(demo.db)
        for relation in RELATIONS:
            through = getattr(Provider, relation).through
            through.objects.filter(provider__in=demo)._raw_delete(demo.db)
        deleted = demo._raw_delete(demo.db)
    return deleted


class DemoRandom(random.Random):
    """random.Random with a quicker one-item weighted pick, the demo's commonest draw."""

    def weighted(self, population, cum_weights):
        """random.choices(population, cum_weights=cum_weights)[0]: the same draw in a
        quarter of the time (no list to build, no checks of the weights)."""
        return population[bisect.bisect(cum_weights, self.random() * cum_weights[-1])]


class Pools(NamedTuple):
    """What seeding draws from: the reference rows, and dates and row templates made once."""

    states: list[str]  # the states with ZIP codes, by code
    zips_by_state: dict[str, list[tuple]]  # (zip, state, city, city slug, latitude, longitude)
    all_states: list[str]
    conditions: list[int]  # primary keys, by slug
    treatments: dict[str, int]  # slug → primary key
    verified: list[date | None]  # when last verified: never, or a week within 420 days
    confirmed: list[date]  # when a fact group was confirmed: a day within 400 days
    provider_row: dict[str, Any]  # a Provider row of defaults (Spec explains)
    location_row: dict[str, Any]


class Spec(NamedTuple):
    """One demo provider before insertion: its row, its sites' rows, and its links.

    A row is a dict of column values by attribute name in the table's column
    order, without the id: a copy of a template row with every column, so COPY
    can send its values as they are, and the SQLite path can build the model
    instance from it.
    """

    provider: dict[str, Any]
    locations: list[dict[str, Any]]  # provider_id is filled in on insertion
    links: dict[str, list[Any]]  # RELATIONS name → primary keys of the linked rows


def seed_demo(*, providers, seed=1, today=None, progress=None):
    """Replace the demo providers with `providers` new ones; deterministic for a seed."""
    pools = _pools(today or timezone.localdate())
    delete_demo_providers()
    chunks = _specs(providers, seed, pools)
    with _no_garbage_collection():
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            _copy_side_by_side(chunks, progress)
        else:
            # In a transaction (a test, a caller's atomic block) there is one connection.
            write = _copy if connection.vendor == "postgresql" else _bulk_create
            done = 0
            for specs in chunks:
                write(specs)
                done += len(specs)
                if progress:
                    progress(done)
    refresh_statistics()
    bump_content_version()


@contextlib.contextmanager
def _no_garbage_collection() -> Iterator[None]:
    """Pause Python's cycle collector: the demo rows hold no cycles, yet each chunk's
    many new dicts and lists set it off, and its passes took a third of the time
    spent making the providers up."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _pools(today) -> Pools:
    zips_by_state: dict[str, list[tuple]] = {}
    city_slug = functools.cache(slugify)
    for zip_code, state, city, latitude, longitude in (
        Place.objects.filter(kind=Place.Kind.ZIP)
        .order_by("zip")
        .values_list("zip", "state_id", "name", "latitude", "longitude")
    ):
        zips_by_state.setdefault(state, []).append(
            (zip_code, state, city, city_slug(city), latitude, longitude)
        )
    if not zips_by_state:
        raise ValueError("The gazetteer is empty: run `manage.py load_gazetteer` first.")
    conditions = [pk for _, pk in sorted(Condition.objects.values_list("slug", "pk"))]
    treatments = dict(Treatment.objects.values_list("slug", "pk"))
    if not conditions or not treatments:
        raise ValueError("Load fixtures/conditions.json and fixtures/treatments.json first.")
    # bulk_create() would set the timestamps; COPY sends them as they are.
    now = timezone.now()
    return Pools(
        states=sorted(zips_by_state),
        zips_by_state=zips_by_state,
        all_states=list(State.objects.order_by("code").values_list("code", flat=True)),
        conditions=conditions,
        treatments=treatments,
        verified=[None, *(today - timedelta(days=days) for days in range(0, 420, 7))],
        confirmed=[today - timedelta(days=days) for days in range(400)],
        provider_row={**_default_row(Provider), "created_at": now, "updated_at": now},
        location_row=_default_row(Location),
    )


def _default_row(model) -> dict[str, Any]:
    return {
        field.attname: field.get_default()
        for field in model._meta.concrete_fields
        if not field.primary_key
    }


def _specs(providers: int, seed: int, pools: Pools) -> Iterator[list[Spec]]:
    """The demo providers, CHUNK at a time."""
    rng = DemoRandom(seed)  # reproducible demo data, not secrets
    at_home_count = 0
    for start in range(0, providers, CHUNK):
        specs = []
        for number in range(start, min(start + CHUNK, providers)):
            kind = rng.weighted(KINDS, KIND_WEIGHTS)
            if kind != "clinic":
                at_home_count += 1
                kind = kind if at_home_count <= MAX_AT_HOME else "clinic"
            specs.append(_provider_spec(number, kind, rng, pools))
        yield specs


@functools.cache
def _named(name: str) -> tuple[str, str]:
    """The slug and search key of a name (a few thousand names recur across the demo)."""
    # bulk_create() and COPY skip Provider.save(), which keeps the search key in step.
    return slugify(name), name_key(name)


def _provider_spec(number: int, kind: str, rng: DemoRandom, pools: Pools) -> Spec:
    """One demo provider. The order of the draws is the data: moving one changes every
    provider after it (a seed has given the same providers since before COPY)."""
    # The first providers visit every state once, so each state has a clinic.
    states = pools.states
    state = states[number] if number < len(states) else rng.choice(states)
    name = f"{rng.choice(NAME_FIRST)} {rng.choice(NAME_SECOND)} " + (
        rng.choice(AT_HOME_KINDS) if kind == "at_home" else rng.choice(CLINIC_KINDS)
    )
    name = f"{name} (demo)"
    name_slug, name_search = _named(name)
    slug = f"{name_slug}-{number + 1}"
    last_verified = rng.choice(pools.verified)
    serves = set()
    if kind != "clinic":
        serves = {state, *rng.sample(pools.all_states, rng.randint(0, 19))}
    treatment_pool = AT_HOME_TREATMENTS if kind == "at_home" else CLINIC_TREATMENTS
    if kind == "both":
        treatment_pool = CLINIC_TREATMENTS + AT_HOME_TREATMENTS
    chosen_treatments = set(rng.sample(treatment_pool, rng.randint(1, min(3, len(treatment_pool)))))
    if rng.random() < 0.3:
        chosen_treatments.add(KAP)
    chosen_conditions = rng.sample(pools.conditions, rng.randint(1, 5))
    facts, fact_links = _facts(rng, kind, chosen_treatments, pools.confirmed)
    provider = pools.provider_row.copy()
    provider.update(
        name=name,
        name_search=name_search,
        slug=slug,
        external_id=f"{DEMO_PREFIX}{number + 1:07d}",
        description=(
            "A fictional provider generated as demo data for ketanet. "
            "Its name, address, phone number and website are made up."
        ),
        website=f"https://{slug}.example",
        phone=f"({rng.choice(AREA_CODES)}) 555-01{rng.randrange(100):02d}",
        email=f"hello@{slug}.example",
        status=rng.weighted(STATUSES, STATUS_WEIGHTS),
        accepting_new_patients=rng.weighted(TRUE_FALSE_UNKNOWN, ACCEPTING_WEIGHTS),
        medical_director_name=f"{rng.choice(DIRECTOR_FIRST)} {rng.choice(DIRECTOR_LAST)}",
        medical_director_credential=rng.choice(["MD", "MD", "MD", "DO", "NP", "CRNA"]),
        last_verified=last_verified,
    )
    provider.update(facts)
    locations = []
    if kind != "at_home":
        # What copy_provider_filters() would write, without a pass over the rows.
        treatment_ids = (pools.treatments[slug] for slug in chosen_treatments)
        payment_numbers = (PAYMENT_NUMBERS[slug] for slug in fact_links["payment_options"])
        copies = {
            "published": provider["status"] == Provider.Status.PUBLISHED,
            "condition_bits": sum(filter(None, map(term_bit, chosen_conditions))),
            "treatment_bits": sum(filter(None, map(term_bit, treatment_ids))),
            "payment_bits": sum(filter(None, map(term_bit, payment_numbers))),
            "accepting": provider["accepting_new_patients"] is True,
            "offers_kap": provider["kap"] in Provider.KAP_OFFERED,
            "price_min": provider["price_min"],
            "last_verified": last_verified,
            "provider_name": name,
            "name_search": name_search,
            "languages": "".join(f" {code}" for code in fact_links["languages"]) + " "
            if fact_links["languages"]
            else "",
        }
        zips = pools.zips_by_state[state]
        count = rng.weighted(SITE_COUNTS, SITE_COUNT_WEIGHTS)
        for zip_code, code, city, city_slug, latitude, longitude in rng.sample(
            zips, min(count, len(zips))
        ):
            location = pools.location_row.copy()
            location.update(
                address1=f"{rng.randrange(10, 9999)} {rng.choice(STREETS)} "
                f"{rng.choice(STREET_TYPES)}",
                address2=rng.choice(SUITES),
                city=city,
                city_slug=city_slug,
                state_id=code,
                zip=zip_code,
                latitude=latitude,
                longitude=longitude,
                coordinates_source=Location.Source.GAZETTEER,
                opening_hours=rng.choice(OPENING_HOURS),
                hours=rng.choice(HOURS_NOTES) if rng.random() < 0.15 else "",
                wheelchair_accessible=rng.weighted(TRUE_FALSE_UNKNOWN, WHEELCHAIR_WEIGHTS),
                private_room=rng.weighted(TRUE_FALSE_UNKNOWN, PRIVATE_ROOM_WEIGHTS),
                **copies,
            )
            locations.append(location)
    return Spec(
        provider,
        locations,
        {
            "conditions": chosen_conditions,
            "treatments": sorted(pools.treatments[slug] for slug in chosen_treatments),
            "serves_states": sorted(serves),
            **fact_links,
        },
    )


def _facts(
    rng: DemoRandom, kind: str, treatments: set[str], confirmed_dates: list[date]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The fact fields of one provider and its fact links, consistent with what it offers."""
    at_home, clinic = kind != "clinic", kind != "at_home"
    spravato = SPRAVATO in treatments
    diligence = rng.weighted(DILIGENCE, DILIGENCE_WEIGHTS)
    facts: dict[str, Any] = {}
    unknown: dict[str, float] = {}
    for group in FACT_GROUPS:
        if group.key in AT_HOME_GROUPS and not at_home:
            continue
        confirmed = diligence == "all" or (diligence == "some" and rng.random() < 0.5)
        facts[f"{group.key}_confirmed"] = rng.choice(confirmed_dates) if confirmed else None
        unknown[group.key] = UNKNOWN_IF_CONFIRMED if confirmed else UNKNOWN_IF_NOT

    def known(group: str) -> bool:
        return rng.random() >= unknown[group]

    def yes_no(group: str, chance_yes: float) -> bool | None:
        return rng.random() < chance_yes if known(group) else None

    # Cost: an IV session $300-1,500, Spravato $590-1,000, a dose at home $100-300.
    if not clinic:
        low, high, step = 100, 300, 25
    elif treatments & {"iv-infusion", "im-injection"}:
        low, high, step = 300, 1500, 50
    else:
        low, high, step = 590, 1000, 10
    if known("cost"):
        price_min = rng.randrange(low, high + 1, step)
        facts["price_min"] = price_min
        facts["price_max"] = min(high, price_min + rng.choice([0, 0, 100, 200, 400]))
    sessions = rng.choice([4, 6, 6, 6, 8] if clinic else [6, 8, 12])
    if known("course"):
        facts["course_sessions"] = sessions
        facts["course_weeks"] = rng.choice([2, 3, 4] if clinic else [4, 6, 8])
    if known("course"):
        facts["course_notes"] = rng.choice(COURSE_NOTES)
    fee = rng.choice([0, 0, 100, 150, 200, 250] if clinic else [0, 50, 99, 150])
    if known("cost"):
        facts["consultation_fee"] = fee
    if "price_min" in facts and known("cost"):
        # A prepaid course costs a little less than its sessions one by one.
        facts["course_price"] = round(facts["price_min"] * sessions * 0.9 / 10) * 10
    if known("cost"):
        facts["price_includes"] = rng.choice(PRICE_INCLUDES if clinic else AT_HOME_PRICE_INCLUDES)
    if known("cost"):
        facts["cancellation_terms"] = rng.choice(CANCELLATION_TERMS)

    # Payment: each option accepted, declined or unknown, never two at once.
    accepted, declined = [], []
    if known("payment"):
        for option, weights in PAYMENT_WEIGHTS.items():
            state = rng.weighted(PAYMENT_STATES, weights[0 if spravato else 1])
            if state == ACCEPTED:
                accepted.append(option)
            elif state == DECLINED:
                declined.append(option)

    # Treatments: only REMS-certified centres may give Spravato.
    facts["rems_certified"] = True if spravato else yes_no("treatments", 0.0)

    # Who prescribes and supervises.
    prescribers = []
    if known("prescribers"):
        pool, cum_weights = CLINIC_PRESCRIBERS if clinic else AT_HOME_PRESCRIBERS
        prescribers = sorted(set(rng.choices(pool, cum_weights=cum_weights, k=rng.randint(1, 3))))
    facts["board_certified"] = yes_no("prescribers", 0.9)
    if known("prescribers"):
        facts["npi"] = _npi(rng)

    # Safety and monitoring: in a clinic a nurse or doctor stays; at home, a video call.
    facts["vitals_monitored"] = yes_no("safety", 0.95 if clinic else 0.4)
    if known("safety"):
        facts["present_throughout"] = (
            rng.choice(["physician", "advanced-practice", "nurse"])
            if clinic
            else rng.choice(["remote", "remote", "none"])
        )
    if clinic and known("safety"):
        facts["observation_minutes"] = rng.choice([30, 45, 60, 60, 90, 120])
    facts["ride_home_required"] = yes_no("safety", 0.9) if clinic else yes_no("safety", 0.0)

    # Intake.
    facts["consultation_required"] = yes_no("intake", 0.85)
    facts["referral_required"] = yes_no("intake", 0.25)
    facts["existing_patients_only"] = yes_no("intake", 0.05)
    # A free consultation has nothing to refund.
    facts["consultation_fee_refunded"] = yes_no("intake", 0.4) if fee else None

    # Psychotherapy: offered exactly where the KAP treatment is listed.
    if known("psychotherapy"):
        facts["kap"] = (
            rng.choice(["in-house", "in-house", "partner"]) if KAP in treatments else "not-offered"
        )

    # Treatment at home: only for services that send medicine home.
    if at_home:
        facts["in_person_evaluation"] = yes_no("telehealth", 0.25)
        facts["compounded"] = yes_no("telehealth", 0.85)
        if known("telehealth"):
            facts["sent_home"] = rng.choice(SENT_HOME)

    # Access: English nearly everywhere, Spanish often, a few others sometimes.
    if known("access"):
        facts["wait_days"] = rng.choice([0, 1, 2, 3, 5, 7, 7, 10, 14, 21, 30])
    languages = []
    if known("access"):
        languages = ["en"] if rng.random() < 0.96 else []
        if rng.random() < (0.55 if at_home else 0.35) or not languages:
            languages.append("es")
        if rng.random() < 0.15:
            languages += rng.sample(OTHER_LANGUAGES, rng.choice([1, 1, 1, 2]))

    return facts, {
        "payment_options": accepted,
        "payment_declined": declined,
        "prescriber_types": prescribers,
        "languages": sorted(set(languages)),
    }


def _npi(rng: DemoRandom) -> str:
    """A made-up NPI whose check digit is right (Luhn over 80840 and the first nine)."""
    first_nine = f"{rng.choice('12')}{rng.randrange(10**8):08d}"
    return first_nine + luhn.calc_check_digit("80840" + first_nine)


def refresh_statistics():
    """Let the query planner see the bulk load (and PostgreSQL reclaim what it replaced)."""
    tables = [
        Provider._meta.db_table,
        Location._meta.db_table,
        *(getattr(Provider, name).through._meta.db_table for name in RELATIONS),
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.get_autocommit():
            cursor.execute("VACUUM ANALYZE " + ", ".join(map(connection.ops.quote_name, tables)))
        else:
            for table in tables:
                cursor.execute("ANALYZE " + connection.ops.quote_name(table))


# --- Writing: COPY on PostgreSQL, bulk_create() elsewhere -------------------------------


def _copy(specs: list[Spec]) -> None:
    """Write one chunk of demo providers with COPY (PostgreSQL), in one transaction.

    COPY takes the rows as they are: no SQL to build, no model instance per row.
    bulk_create()'s multi-row INSERTs spent more time in Python than PostgreSQL
    spent storing the rows. The providers' ids, which their sites and links
    need, are drawn from the table's sequence first, as INSERTs would draw them.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Provider._meta.db_table, len(specs)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        # Rows in the order of an index touch fewer of its pages than rows in random
        # order: the providers by slug (for their name indexes), the sites by ZIP (near
        # each other, and in state order). At a million providers PostgreSQL read a
        # fifth fewer index pages per provider, and a third fewer per site.
        providers, locations = [], []
        links: dict[str, list[tuple[int, Any]]] = {relation: [] for relation in RELATIONS}
        for pk, spec in sorted(
            zip(ids, specs, strict=True), key=lambda row: row[1].provider["slug"]
        ):
            providers.append((pk, *spec.provider.values()))
            for location in spec.locations:
                location["provider_id"] = pk
                locations.append(location)
            for relation, linked in spec.links.items():
                links[relation] += [(pk, other) for other in linked]
        locations.sort(key=operator.itemgetter("zip"))
        _copy_rows(
            cursor,
            Provider._meta.db_table,
            ["id", *_columns(Provider)],
            providers,
        )
        _copy_rows(
            cursor,
            Location._meta.db_table,
            _columns(Location),
            [location.values() for location in locations],
        )
        for relation, pairs in links.items():
            _copy_rows(cursor, *_link_table(relation), pairs)


def _copy_side_by_side(chunks: Iterator[list[Spec]], progress) -> None:
    """Make up and _copy() the chunks in WRITERS threads, each with its own connection.

    PostgreSQL takes longer to store a chunk (checking the foreign keys of every
    link is most of it) than Python takes to make one up, and with one connection
    it works on one core while the other mostly waits: two writers stored a
    million providers in about two thirds of the time. The threads take turns at
    the generator (one random stream: the same seed, the same providers) and
    COPY side by side.
    """
    lock, stop = threading.Lock(), threading.Event()
    done = 0

    def write() -> None:
        nonlocal done
        try:
            while not stop.is_set():
                with lock:
                    specs = next(chunks, None)
                if specs is None:
                    return
                _copy(specs)
                with lock:
                    done += len(specs)
                    if progress:
                        progress(done)
        except BaseException:
            stop.set()
            raise
        finally:
            connection.close()  # this thread's own

    with ThreadPoolExecutor(WRITERS) as pool:
        writers = [pool.submit(write) for _ in range(WRITERS)]
        try:
            for writer in writers:
                writer.result()
        finally:
            # After an error, or Ctrl-C here, the others stop after the chunk in hand.
            stop.set()


def _copy_rows(cursor, table: str, columns: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """COPY `rows` (values in the order of `columns`) into `table`, in binary."""
    quote = connection.ops.quote_name
    names = ", ".join(map(quote, columns))
    # Binary COPY needs each value in its column's own format (a list in a jsonb
    # column as JSON, not as an array): the types come from PostgreSQL itself.
    cursor.execute(f"SELECT {names} FROM {quote(table)} LIMIT 0")  # noqa: S608 - model names
    types = [column.type_code for column in cursor.description]
    with cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _bulk_create(specs: list[Spec]) -> None:
    """Write one chunk of demo providers with bulk_create() (SQLite), in one transaction."""
    with transaction.atomic():
        created = Provider.objects.bulk_create([Provider(**spec.provider) for spec in specs])
        Location.objects.bulk_create(
            [
                Location(**{**location, "provider_id": provider.pk})
                for provider, spec in zip(created, specs, strict=True)
                for location in spec.locations
            ]
        )
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for relation in RELATIONS:
                # The rows the through model's bulk_create() would write, without a
                # model instance for each of the links, most of a demo provider's rows.
                table, (source, target) = _link_table(relation)
                cursor.executemany(
                    f"INSERT INTO {quote(table)} ({quote(source)}, {quote(target)}) "  # noqa: S608
                    "VALUES (%s, %s)",
                    [
                        (provider.pk, linked)
                        for provider, spec in zip(created, specs, strict=True)
                        for linked in spec.links[relation]
                    ],
                )


def _columns(model) -> list[str]:
    """The columns of a demo row of `model` (Spec), in order."""
    return [field.column for field in model._meta.concrete_fields if not field.primary_key]


def _link_table(relation: str) -> tuple[str, list[str]]:
    """The through table of Provider.<relation>, and its provider and linked-row columns."""
    through, source, target = link_fields(relation)
    return through._meta.db_table, [source.column, target.column]
