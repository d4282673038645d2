"""Fictional demo providers at real ZIP centroids, bulk-loaded and reproducible.

Every demo provider is named "… (demo)", has an external_id starting with
"demo-", a website on the reserved .example domain and a 555-01xx phone
number, so nobody can mistake one for a real clinic.
"""

import random
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from core.cache import bump_content_version
from directory.models import Condition, Location, Place, Provider, State, Treatment

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
HOURS = ["Mon–Fri 8am–5pm", "Mon–Thu 9am–6pm, Fri 9am–1pm", "Tue–Sat 8am–4pm", ""]
CLINIC_TREATMENTS = ["iv-infusion", "im-injection", "esketamine-nasal-spray"]
AT_HOME_TREATMENTS = ["oral-sublingual", "ketamine-assisted-psychotherapy"]


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
        for relation in ["conditions", "treatments", "serves_states"]:
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
        *(
            getattr(Provider, name).through._meta.db_table
            for name in ["conditions", "treatments", "serves_states"]
        ),
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.get_autocommit():
            cursor.execute("VACUUM ANALYZE " + ", ".join(map(connection.ops.quote_name, tables)))
        else:
            for table in tables:
                cursor.execute("ANALYZE " + connection.ops.quote_name(table))


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
    price_min = rng.choice([None, 250, 300, 350, 400, 450, 500, 600])
    verified_days = rng.choice([None, *range(0, 420, 7)])
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
        price_min=price_min,
        price_max=None if price_min is None else price_min + rng.choice([0, 100, 200, 400]),
        medical_director_name=f"{rng.choice(DIRECTOR_FIRST)} {rng.choice(DIRECTOR_LAST)}",
        medical_director_credential=rng.choice(["MD", "MD", "MD", "DO", "NP", "CRNA"]),
        last_verified=None if verified_days is None else today - timedelta(days=verified_days),
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
                    hours=rng.choice(HOURS),
                )
            )
    serves = set()
    if kind != "clinic":
        serves = {state, *rng.sample(all_states, rng.randint(0, 19))}
    treatment_pool = AT_HOME_TREATMENTS if kind == "at_home" else CLINIC_TREATMENTS
    if kind == "both":
        treatment_pool = CLINIC_TREATMENTS + AT_HOME_TREATMENTS
    chosen_treatments = rng.sample(treatment_pool, rng.randint(1, min(3, len(treatment_pool))))
    if rng.random() < 0.3:
        chosen_treatments.append("ketamine-assisted-psychotherapy")
    chosen_conditions = rng.sample(sorted(conditions), rng.randint(1, 5))
    return (
        provider,
        locations,
        [conditions[slug] for slug in chosen_conditions],
        sorted({treatments[slug] for slug in chosen_treatments}),
        sorted(serves),
    )


def _insert(specs):
    with transaction.atomic():
        created = Provider.objects.bulk_create([spec[0] for spec in specs])
        locations, condition_links, treatment_links, state_links = [], [], [], []
        ConditionLink = Provider.conditions.through
        TreatmentLink = Provider.treatments.through
        StateLink = Provider.serves_states.through
        for provider, (_, provider_locations, condition_ids, treatment_ids, codes) in zip(
            created, specs, strict=True
        ):
            for location in provider_locations:
                location.provider_id = provider.pk
                location.city_slug = slugify(location.city)
                locations.append(location)
            condition_links += [
                ConditionLink(provider_id=provider.pk, condition_id=pk) for pk in condition_ids
            ]
            treatment_links += [
                TreatmentLink(provider_id=provider.pk, treatment_id=pk) for pk in treatment_ids
            ]
            state_links += [StateLink(provider_id=provider.pk, state_id=code) for code in codes]
        Location.objects.bulk_create(locations)
        ConditionLink.objects.bulk_create(condition_links)
        TreatmentLink.objects.bulk_create(treatment_links)
        StateLink.objects.bulk_create(state_links)
