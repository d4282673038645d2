"""Fill the fixed lists of facts.py, and fold the old payment booleans into payment options.

accepts_insurance becomes commercial insurance and self_pay becomes self-pay:
True puts the option among those accepted, False among those declined, and
unknown (null) in neither, so no answer is lost and unknown stays unknown.
"""

from django.db import migrations

from directory.facts import LANGUAGES, PAYMENT_OPTIONS, PRESCRIBER_TYPES

FOLDED = {"accepts_insurance": "commercial-insurance", "self_pay": "self-pay"}


def add_terms(apps, schema_editor):
    for model, entries, ordered in [
        ("PaymentOption", PAYMENT_OPTIONS, True),
        ("PrescriberType", PRESCRIBER_TYPES, True),
        ("Language", LANGUAGES, False),
    ]:
        Model = apps.get_model("directory", model)
        Model.objects.bulk_create(
            [
                Model(slug=slug, name=name, **({"position": position} if ordered else {}))
                for position, (slug, name) in enumerate(entries.items())
            ],
            ignore_conflicts=True,
        )


def fold_payment(apps, schema_editor):
    Provider = apps.get_model("directory", "Provider")
    Accepted = Provider.payment_options.through
    Declined = Provider.payment_declined.through
    for field, option in FOLDED.items():
        for accepted, through in [(True, Accepted), (False, Declined)]:
            ids = Provider.objects.filter(**{field: accepted}).values_list("pk", flat=True)
            through.objects.bulk_create(
                [through(provider_id=pk, paymentoption_id=option) for pk in ids.iterator()],
                batch_size=5000,
                ignore_conflicts=True,
            )


def unfold_payment(apps, schema_editor):
    Provider = apps.get_model("directory", "Provider")
    for field, option in FOLDED.items():
        Provider.objects.update(**{field: None})
        Provider.objects.filter(payment_options=option).update(**{field: True})
        Provider.objects.filter(payment_declined=option).update(**{field: False})


def no_op(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("directory", "0006_listing_facts")]

    operations = [
        migrations.RunPython(add_terms, no_op),
        migrations.RunPython(fold_payment, unfold_payment),
    ]
