from django.urls import path

from referrals import api

urlpatterns = [
    path("proches/", api.NearestSitesView.as_view(), name="api-referrals-nearest"),
    path("<int:site_id>/statut/", api.SiteStatusView.as_view(), name="api-referrals-status"),
]
