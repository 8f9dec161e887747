"""Every app's API under /api/; each app adds its own routes in its api_urls module."""

from django.urls import include, path

from accounts import api as accounts_api

urlpatterns = [
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path("token/", accounts_api.TokenView.as_view(), name="api-token"),
    path("consultations/", include("consultations.api_urls")),
    path("crise/", include("crisis.api_urls")),
    path("", include("distribution.api_urls")),
    path("", include("pharmacies.api_urls")),
    path("tableau-de-bord/", include("dashboards.api_urls")),
    path("sites-de-soins/", include("referrals.api_urls")),
    path("avis-specialise/", include("specialists.api_urls")),
    path("anticipation/", include("planning.api_urls")),
]
