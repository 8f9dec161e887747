"""Phones were stored as typed; from now on they are stored in E.164 (gomask.phones).

A Réunion mobile "0692 12 34 56" becomes "+262692123456" (not the invalid "+33692…"); a stored
value that is no phone number at all becomes "" (it could not be dialled either).
"""

from django.db import migrations

from gomask.phones import migrate_stored_phones


def forwards(apps, schema_editor):
    migrate_stored_phones(apps.get_model("pharmacies", "Pharmacy"), field="phone")


class Migration(migrations.Migration):
    dependencies = [
        ("pharmacies", "0004_form_submission_and_one_correction"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
