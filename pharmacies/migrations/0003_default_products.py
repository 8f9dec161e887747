from django.db import migrations

from pharmacies.catalogue import ensure_products


def create_products(apps, schema_editor):
    ensure_products(apps.get_model("pharmacies", "Product"))


class Migration(migrations.Migration):
    dependencies = [("pharmacies", "0002_product_stocklevel_stockmovement_and_more")]

    operations = [migrations.RunPython(create_products, migrations.RunPython.noop)]
