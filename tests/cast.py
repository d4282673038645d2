"""A small named cast of providers for tests, built in code (fixtures/ is demo data)."""

from datetime import date

from directory.models import Condition, Location, Provider, Treatment


def make_provider(
    *,
    conditions=(),
    treatments=(),
    serves_states=(),
    locations=(),
    payment_options=(),
    payment_declined=(),
    prescriber_types=(),
    languages=(),
    **fields,
):
    """Create a provider with its relations; `locations` are dicts of Location fields.

    The payment options, prescriber types and languages are slugs (codes)."""
    fields.setdefault("status", Provider.Status.PUBLISHED)
    fields.setdefault("slug", fields["name"].lower().replace(" ", "-"))
    provider = Provider.objects.create(**fields)
    provider.conditions.set(Condition.objects.filter(slug__in=conditions))
    provider.treatments.set(Treatment.objects.filter(slug__in=treatments))
    provider.serves_states.set(serves_states)
    provider.payment_options.set(payment_options)
    provider.payment_declined.set(payment_declined)
    provider.prescriber_types.set(prescriber_types)
    provider.languages.set(languages)
    for location in locations:
        Location.objects.create(provider=provider, **location)
    return provider


def austin_clinic(**fields):
    return make_provider(
        name="Austin Ketamine Clinic",
        external_id="austin-1",
        phone="(512) 555-0100",
        website="https://austin-ketamine.example",
        conditions=["depression", "ptsd"],
        treatments=["iv-infusion"],
        accepting_new_patients=True,
        last_verified=date(2026, 10, 1),
        locations=[
            {
                "address1": "100 Congress Ave",
                "city": "Austin",
                "state_id": "TX",
                "zip": "78701",
                "latitude": 30.2672,
                "longitude": -97.7431,
                "coordinates_source": Location.Source.MANUAL,
            }
        ],
        **fields,
    )


def round_rock_clinic(**fields):
    return make_provider(
        name="Round Rock Infusion Center",
        external_id="round-rock-1",
        conditions=["chronic-pain"],
        treatments=["iv-infusion", "im-injection"],
        locations=[
            {
                "address1": "1 Main St",
                "city": "Round Rock",
                "state_id": "TX",
                "zip": "78664",
                "latitude": 30.5083,
                "longitude": -97.6789,
                "coordinates_source": Location.Source.GAZETTEER,
            }
        ],
        **fields,
    )


def at_home_service(**fields):
    return make_provider(
        name="Lone Star Ketamine at Home",
        external_id="at-home-1",
        conditions=["depression", "anxiety"],
        treatments=["oral-sublingual"],
        serves_states=["TX", "OH"],
        **fields,
    )


def draft_provider(**fields):
    fields.setdefault("status", Provider.Status.DRAFT)
    return make_provider(
        name="Unfinished Clinic",
        external_id="draft-1",
        locations=[{"address1": "5 Elm St", "city": "Austin", "state_id": "TX", "zip": "78702"}],
        **fields,
    )
