"""The open-data page (/donnees-ouvertes/) and its feeds (/api/donnees-ouvertes/...)."""

from django.urls import path

from opendata import api, views

app_name = "opendata"

urlpatterns = [
    path("donnees-ouvertes/", views.documentation, name="documentation"),
    path("api/donnees-ouvertes/officines/", api.PharmacyFeedView.as_view(), name="pharmacies"),
    path("api/donnees-ouvertes/sites-de-soins/", api.CareSiteFeedView.as_view(), name="care-sites"),
    path(
        "api/donnees-ouvertes/consultations-solidaires/",
        api.ConsultationFeedView.as_view(),
        name="consultations",
    ),
]
