from django.urls import path

from crisis import api

urlpatterns = [
    path("pris-en-compte/", api.AcknowledgeView.as_view(), name="api-crisis-acknowledge"),
    path("renforts/<int:request_id>/accepter/", api.AcceptRequestView.as_view(), name="api-crisis-accept"),
    path(
        "activations/<int:activation_id>/renforts/",
        api.PostRequestView.as_view(),
        name="api-crisis-post-request",
    ),
    path("sites/<int:site_id>/renforts/", api.PostSiteRequestView.as_view(), name="api-crisis-site-request"),
]
