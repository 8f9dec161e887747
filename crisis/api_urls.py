from django.urls import path

from crisis import api

urlpatterns = [
    path("pris-en-compte/", api.AcknowledgeView.as_view(), name="api-crisis-acknowledge"),
    path("renforts/<int:request_id>/accepter/", api.AcceptRequestView.as_view(), name="api-crisis-accept"),
]
