from django.urls import path

from planning import views

app_name = "planning"

# Mounted at the root: ARS pages under /ars/anticipation/, the pharmacist's under /officine/.
urlpatterns = [
    path("ars/anticipation/", views.at_risk, name="at_risk"),
    path("ars/anticipation/propositions/", views.proposals, name="proposals"),
    path(
        "ars/anticipation/propositions/<int:proposal_id>/accepter/",
        views.proposal_accept,
        name="proposal_accept",
    ),
    path(
        "ars/anticipation/propositions/<int:proposal_id>/ecarter/",
        views.proposal_dismiss,
        name="proposal_dismiss",
    ),
    path("ars/anticipation/repartition/", views.allocate, name="allocate"),
    path("ars/anticipation/simulateur/", views.simulator, name="simulator"),
    path("officine/<int:pharmacy_id>/prevision/", views.pharmacy_forecast, name="pharmacy_forecast"),
    path(
        "officine/<int:pharmacy_id>/prevision/<int:proposal_id>/envoyer/",
        views.transfer_send,
        name="transfer_send",
    ),
]
