import importlib

import pytest
from django.apps import apps
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

revocation = importlib.import_module("accounts.migrations.0004_revoke_tokens_of_accounts_needing_totp")


def test_upgrading_revokes_the_tokens_of_accounts_that_need_totp_and_keeps_the_others(administrator, nurse):
    Token.objects.create(user=administrator)
    kept = Token.objects.create(user=nurse)
    revocation.revoke_tokens(apps, None)
    assert list(Token.objects.all()) == [kept]
