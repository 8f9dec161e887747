from django.db import migrations


def seed_policies(apps, schema_editor):
    from distribution.quotas import ensure_default_quota_policies

    ensure_default_quota_policies(apps.get_model("distribution", "QuotaPolicy"), apps.get_model("pharmacies", "Product"))


class Migration(migrations.Migration):
    dependencies = [
        ("distribution", "0001_initial"),
        ("pharmacies", "0003_default_products"),
    ]

    operations = [migrations.RunPython(seed_policies, migrations.RunPython.noop)]
