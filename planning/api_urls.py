from django.urls import path

from planning import api

# Mounted at /api/anticipation/ (the pages are under /ars/anticipation/ and /officine/).
urlpatterns = [
    path(
        "officines/<int:pharmacy_id>/prevision/", api.PharmacyForecast.as_view(), name="api-planning-pharmacy"
    ),
    path(
        "officines/<int:pharmacy_id>/transferts/<int:proposal_id>/envoyer/",
        api.TransferSend.as_view(),
        name="api-planning-transfer-send",
    ),
    path("a-risque/", api.AtRisk.as_view(), name="api-planning-at-risk"),
    path("propositions/", api.ProposalList.as_view(), name="api-planning-proposals"),
    path(
        "propositions/<int:proposal_id>/accepter/",
        api.ProposalAccept.as_view(),
        name="api-planning-proposal-accept",
    ),
    path(
        "propositions/<int:proposal_id>/ecarter/",
        api.ProposalDismiss.as_view(),
        name="api-planning-proposal-dismiss",
    ),
    path("repartition/", api.Allocation.as_view(), name="api-planning-allocation"),
    path("simulateur/", api.Simulator.as_view(), name="api-planning-simulator"),
    path("simulateur/publier/", api.SimulatorPublish.as_view(), name="api-planning-publish"),
]
