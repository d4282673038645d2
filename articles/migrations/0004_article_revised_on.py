# The editorial date was called updated_at, like the save timestamps of other
# models; it is a date an editor sets, so it is revised_on now. Data is kept.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0003_history_and_version'),
    ]

    operations = [
        migrations.RenameField(model_name='article', old_name='updated_at', new_name='revised_on'),
        migrations.RenameField(model_name='historicalarticle', old_name='updated_at', new_name='revised_on'),
        migrations.AlterField(
            model_name='article',
            name='revised_on',
            field=models.DateField(blank=True, help_text='Date of the latest editorial revision, shown to readers as “Updated”.', null=True),
        ),
        migrations.AlterField(
            model_name='historicalarticle',
            name='revised_on',
            field=models.DateField(blank=True, help_text='Date of the latest editorial revision, shown to readers as “Updated”.', null=True),
        ),
    ]
