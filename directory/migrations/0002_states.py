from django.db import migrations

from directory.states import STATES


def add_states(apps, schema_editor):
    State = apps.get_model("directory", "State")
    State.objects.bulk_create(
        [State(code=code, name=name) for code, name in STATES.items()], ignore_conflicts=True
    )


def remove_states(apps, schema_editor):
    apps.get_model("directory", "State").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [migrations.RunPython(add_states, remove_states)]
