"""Distribution pages. Mounted at the site root (gomask/urls.py) because they serve three
audiences: ARS pages under /ars/, the counter and shipments under /officine/, options and
history under /professionnel/ — all in the `distribution` namespace."""

from django.urls import include, path

from distribution import views

app_name = "distribution"

ars_patterns = [
    path("", views.ars_home, name="ars_home"),
    path("quotas/", views.quota_policies, name="quota_policies"),
    path("quotas/nouvelle-version/", views.quota_policy_create, name="quota_policy_create"),
    path("envois/", views.shipments, name="shipments"),
    path("envois/nouveau/", views.shipment_create, name="shipment_create"),
    path("envois/<int:shipment_id>/reception/", views.shipment_receive, name="shipment_receive"),
]

pharmacist_patterns = [
    path("comptoir/", views.counter, name="counter"),
    path("comptoir/<int:professional_id>/", views.counter_professional, name="counter_professional"),
    path("envois-ars/", views.pharmacy_shipments, name="pharmacy_shipments"),
    path("envois-ars/<int:shipment_id>/confirmer/", views.confirm_shipment, name="confirm_shipment"),
]

professional_patterns = [
    path("trouver-des-masques/", views.find_masks, name="find_masks"),
    path("options/nouvelle/", views.reserve, name="reserve"),
    path("options/", views.my_reservations, name="my_reservations"),
    path("options/<int:reservation_id>/annuler/", views.cancel_reservation, name="cancel_reservation"),
    path("historique/", views.my_history, name="my_history"),
]

urlpatterns = [
    path("ars/", include(ars_patterns)),
    path("officine/", include(pharmacist_patterns)),
    path("professionnel/", include(professional_patterns)),
]
