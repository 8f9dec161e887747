from django.urls import path

from specialists import api

urlpatterns = [
    path("demandes/", api.MyAdviceRequests.as_view(), name="api-advice-requests"),
    path("demandes/<int:request_id>/", api.AdviceRequestDetail.as_view(), name="api-advice-request"),
]
