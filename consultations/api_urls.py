from django.urls import path

from consultations import api

urlpatterns = [
    path("sites/", api.SiteSearchView.as_view(), name="api-consultations-sites"),
    path("bookings/", api.BookingCreateView.as_view(), name="api-consultations-book"),
    path("bookings/cancel/", api.BookingCancelView.as_view(), name="api-consultations-cancel"),
]
