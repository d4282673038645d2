"""Fictional demo providers at real ZIP centroids, bulk-loaded and reproducible.

Every demo provider is named "… (demo)", has an external_id starting with
"demo-", a website on the reserved .example domain and a 555-01xx phone
number, so nobody can mistake one for a real clinic.
"""

import itertools
import random
from datetime import timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from stdnum import luhn

from core.cache import bump_content_version
from directory.facts import AT_HOME_GROUPS, FACT_GROUPS, PAYMENT_OPTIONS, OpeningRange, parse_hours
from directory.models import (
    PROVIDER_RELATIONS,
    Condition,
    Location,
    Place,
    Provider,
    State,
    Treatment,
    condition_bit,
)
from directory.names import name_key

DEMO_PREFIX = "demo-"
CHUNK = 5000
# At-home ketamine is a few national telehealth services, not one per town:
# their number stops growing with the directory.
MAX_AT_HOME = 1000

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

CLINIC_PRESCRIBERS = {
    "anesthesiologist": 30,
    "crna": 20,
    "psychiatrist": 25,
    "emergency-physician": 10,
    "other-physician": 10,
    "psychiatric-np": 10,
    "np": 10,
    "pa": 5,
}
AT_HOME_PRESCRIBERS = {
    "psychiatric-np": 35,
    "psychiatrist": 30,
    "np": 20,
    "other-physician": 10,
    "pa": 5,
}
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


def seed_demo(*, providers, seed=1, today=None, progress=None):
    """Replace the demo providers with `providers` new ones; deterministic for a seed."""
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    zips_by_state: dict[str, list[tuple]] = {}
    for zip_code, state, city, latitude, longitude in (
        Place.objects.filter(kind=Place.Kind.ZIP)
        .order_by("zip")
        .values_list("zip", "state_id", "name", "latitude", "longitude")
    ):
        zips_by_state.setdefault(state, []).append((zip_code, state, city, latitude, longitude))
    if not zips_by_state:
        raise ValueError("The gazetteer is empty: run `manage.py load_gazetteer` first.")
    states = sorted(zips_by_state)
    all_states = list(State.objects.order_by("code").values_list("code", flat=True))
    conditions = {c.slug: c.pk for c in Condition.objects.all()}
    treatments = {t.slug: t.pk for t in Treatment.objects.all()}
    if not conditions or not treatments:
        raise ValueError("Load fixtures/conditions.json and fixtures/treatments.json first.")

    delete_demo_providers()
    at_home_count = 0
    for start in range(0, providers, CHUNK):
        specs = []
        for number in range(start, min(start + CHUNK, providers)):
            kind = rng.choices(["clinic", "at_home", "both"], weights=[92, 4, 4])[0]
            if kind != "clinic":
                at_home_count += 1
                kind = kind if at_home_count <= MAX_AT_HOME else "clinic"
            specs.append(
                _provider_spec(
                    number,
                    kind,
                    rng,
                    states,
                    zips_by_state,
                    all_states,
                    conditions,
                    treatments,
                    today,
                )
            )
        _insert(specs)
        if progress:
            progress(min(start + CHUNK, providers))
    refresh_statistics()
    bump_content_version()


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


class Spec(NamedTuple):
    """One demo provider before insertion: its row, its sites, and its links by relation."""

    provider: Provider
    locations: list[Location]
    links: dict[str, list[Any]]  # RELATIONS name → primary keys of the linked rows


def _provider_spec(
    number, kind, rng, states, zips_by_state, all_states, conditions, treatments, today
):
    # The first providers visit every state once, so each state has a clinic.
    state = states[number] if number < len(states) else rng.choice(states)
    name = f"{rng.choice(NAME_FIRST)} {rng.choice(NAME_SECOND)} " + (
        rng.choice(AT_HOME_KINDS) if kind == "at_home" else rng.choice(CLINIC_KINDS)
    )
    name = f"{name} (demo)"
    slug = f"{slugify(name)}-{number + 1}"
    verified_days = rng.choice([None, *range(0, 420, 7)])
    serves = set()
    if kind != "clinic":
        serves = {state, *rng.sample(all_states, rng.randint(0, 19))}
    treatment_pool = AT_HOME_TREATMENTS if kind == "at_home" else CLINIC_TREATMENTS
    if kind == "both":
        treatment_pool = CLINIC_TREATMENTS + AT_HOME_TREATMENTS
    chosen_treatments = set(rng.sample(treatment_pool, rng.randint(1, min(3, len(treatment_pool)))))
    if rng.random() < 0.3:
        chosen_treatments.add(KAP)
    chosen_conditions = rng.sample(sorted(conditions), rng.randint(1, 5))
    facts, fact_links = _facts(rng, kind, chosen_treatments, today)
    provider = Provider(
        name=name,
        slug=slug,
        external_id=f"{DEMO_PREFIX}{number + 1:07d}",
        description=(
            "A fictional provider generated as demo data for ketanet. "
            "Its name, address, phone number and website are made up."
        ),
        website=f"https://{slug}.example",
        phone=f"({rng.choice(AREA_CODES)}) 555-01{rng.randrange(100):02d}",
        email=f"hello@{slug}.example",
        status=rng.choices(["published", "draft", "closed"], weights=[92, 5, 3])[0],
        accepting_new_patients=rng.choices([True, False, None], weights=[70, 10, 20])[0],
        medical_director_name=f"{rng.choice(DIRECTOR_FIRST)} {rng.choice(DIRECTOR_LAST)}",
        medical_director_credential=rng.choice(["MD", "MD", "MD", "DO", "NP", "CRNA"]),
        last_verified=None if verified_days is None else today - timedelta(days=verified_days),
        **facts,
    )
    locations = []
    if kind != "at_home":
        count = rng.choices([1, 2, 3], weights=[72, 20, 8])[0]
        for zip_code, code, city, latitude, longitude in rng.sample(
            zips_by_state[state], min(count, len(zips_by_state[state]))
        ):
            locations.append(
                Location(
                    address1=f"{rng.randrange(10, 9999)} {rng.choice(STREETS)} "
                    f"{rng.choice(STREET_TYPES)}",
                    address2=rng.choice(SUITES),
                    city=city,
                    state_id=code,
                    zip=zip_code,
                    latitude=latitude,
                    longitude=longitude,
                    coordinates_source=Location.Source.GAZETTEER,
                    opening_hours=rng.choice(OPENING_HOURS),
                    hours=rng.choice(HOURS_NOTES) if rng.random() < 0.15 else "",
                    wheelchair_accessible=rng.choices(
                        TRUE_FALSE_UNKNOWN, cum_weights=[65, 75, 100]
                    )[0],
                    private_room=rng.choices(TRUE_FALSE_UNKNOWN, cum_weights=[50, 65, 100])[0],
                )
            )
    return Spec(
        provider,
        locations,
        {
            "conditions": [conditions[slug] for slug in chosen_conditions],
            "treatments": sorted(treatments[slug] for slug in chosen_treatments),
            "serves_states": sorted(serves),
            **fact_links,
        },
    )


def _facts(rng, kind, treatments, today) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The fact fields of one provider and its fact links, consistent with what it offers."""
    at_home, clinic = kind != "clinic", kind != "at_home"
    spravato = SPRAVATO in treatments
    diligence = rng.choices(DILIGENCE, cum_weights=DILIGENCE_WEIGHTS)[0]
    facts: dict[str, Any] = {}
    unknown: dict[str, float] = {}
    for group in FACT_GROUPS:
        if group.key in AT_HOME_GROUPS and not at_home:
            continue
        confirmed = diligence == "all" or (diligence == "some" and rng.random() < 0.5)
        facts[f"{group.key}_confirmed"] = (
            today - timedelta(days=rng.randrange(400)) if confirmed else None
        )
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
            state = rng.choices(PAYMENT_STATES, cum_weights=weights[0 if spravato else 1])[0]
            if state == ACCEPTED:
                accepted.append(option)
            elif state == DECLINED:
                declined.append(option)

    # Treatments: only REMS-certified centres may give Spravato.
    facts["rems_certified"] = True if spravato else yes_no("treatments", 0.0)

    # Who prescribes and supervises.
    prescribers = []
    if known("prescribers"):
        pool = CLINIC_PRESCRIBERS if clinic else AT_HOME_PRESCRIBERS
        prescribers = sorted(
            set(rng.choices(list(pool), weights=list(pool.values()), k=rng.randint(1, 3)))
        )
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


def _npi(rng) -> str:
    """A made-up NPI whose check digit is right (Luhn over 80840 and the first nine)."""
    first_nine = f"{rng.choice('12')}{rng.randrange(10**8):08d}"
    return first_nine + luhn.calc_check_digit("80840" + first_nine)


def _insert(specs: list[Spec]) -> None:
    for spec in specs:
        # bulk_create() skips Provider.save(), which keeps the search key in step.
        spec.provider.name_search = name_key(spec.provider.name)
    with transaction.atomic():
        created = Provider.objects.bulk_create([spec.provider for spec in specs])
        locations = []
        for provider, spec in zip(created, specs, strict=True):
            # What copy_provider_filters() would write, without a pass over the rows.
            published = provider.status == Provider.Status.PUBLISHED
            bits = sum(filter(None, map(condition_bit, spec.links["conditions"])))
            for location in spec.locations:
                location.provider_id = provider.pk
                location.city_slug = slugify(location.city)
                location.published, location.condition_bits = published, bits
                locations.append(location)
        Location.objects.bulk_create(locations)
        for relation in RELATIONS:
            pairs = [
                (provider.pk, pk)
                for provider, spec in zip(created, specs, strict=True)
                for pk in spec.links[relation]
            ]
            _insert_links(relation, pairs)


def _insert_links(relation: str, pairs: list[tuple[int, Any]]) -> None:
    """Write (provider id, linked id) rows into the through table of Provider.<relation>.

    The rows the through model's bulk_create() would write, in one statement,
    without a model instance per row: the links are most of a demo provider's
    rows, and building and compiling an instance for each took three times as
    long as the database took to store them.
    """
    if not pairs:
        return
    descriptor = getattr(Provider, relation)
    field, through = descriptor.field, descriptor.through
    source = through._meta.get_field(field.m2m_field_name())
    target = through._meta.get_field(field.m2m_reverse_field_name())
    quote = connection.ops.quote_name
    insert = (
        f"INSERT INTO {quote(through._meta.db_table)} "
        f"({quote(source.column)}, {quote(target.column)})"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What Django's own bulk_create() sends PostgreSQL: one array per column.
            arrays = f"%s::{source.db_type(connection)}[], %s::{target.db_type(connection)}[]"
            cursor.execute(
                f"{insert} SELECT * FROM unnest({arrays})",  # noqa: S608 - names from the models
                [[provider for provider, _ in pairs], [linked for _, linked in pairs]],
            )
        else:
            cursor.executemany(f"{insert} VALUES (%s, %s)", pairs)
