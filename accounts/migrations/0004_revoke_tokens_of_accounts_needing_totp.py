"""Revoke the API tokens of accounts that need TOTP.

Until this release a token could be obtained from a session opened by the Django admin's login
form, with a password alone. Such accounts get a new token from POST /api/token/ with their TOTP
code (or from a session that passed it).
"""

from django.conf import settings
from django.db import migrations
from django.db.models import Q


def revoke_tokens(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    Token.objects.filter(
        Q(user__role__in=settings.MFA_REQUIRED_ROLES) | Q(user__is_staff=True) | Q(user__is_superuser=True)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_phone_and_identifier_constraints"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(revoke_tokens, migrations.RunPython.noop)]
