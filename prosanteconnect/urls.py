"""Included by allauth under /accounts/ (allauth.socialaccount collects each provider's urls)."""

from django.urls import path

from prosanteconnect import views

urlpatterns = [
    path("psc/<str:provider_id>/login/", views.login, name="prosanteconnect_login"),
    path("psc/<str:provider_id>/login/callback/", views.callback, name="prosanteconnect_callback"),
]
