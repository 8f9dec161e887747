from django.urls import path

from dashboards import api

urlpatterns = [
    path("", api.PanelListView.as_view(), name="api-dashboard-panels"),
    path("<slug:slug>/", api.PanelView.as_view(), name="api-dashboard-panel"),
]
