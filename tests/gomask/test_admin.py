import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

PORTAL_APPS = {
    "accounts",
    "territories",
    "pharmacies",
    "professionals",
    "distribution",
    "consultations",
    "notifications",
    "dashboards",
    "gomask",
}
PORTAL_MODELS = [model for model in apps.get_models() if model._meta.app_label in PORTAL_APPS]


@pytest.mark.parametrize("model", PORTAL_MODELS, ids=lambda model: model._meta.label)
def test_every_model_of_the_portal_has_an_admin(model):
    assert admin.site.is_registered(model)


@pytest.mark.django_db
@pytest.mark.parametrize("model", PORTAL_MODELS, ids=lambda model: model._meta.label)
def test_every_admin_list_page_opens_for_an_administrator(client, administrator, model):
    client.force_login(administrator)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
