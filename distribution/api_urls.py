from django.urls import path

from distribution import api

urlpatterns = [
    path("reservations/", api.ReservationListCreate.as_view(), name="api-reservations"),
    path(
        "reservations/<int:reservation_id>/cancel/",
        api.ReservationCancel.as_view(),
        name="api-reservation-cancel",
    ),
    path("dispensations/", api.DispensationListCreate.as_view(), name="api-dispensations"),
    path("me/quota/", api.MyQuota.as_view(), name="api-my-quota"),
    path("quota-policies/", api.QuotaPolicyListCreate.as_view(), name="api-quota-policies"),
]
