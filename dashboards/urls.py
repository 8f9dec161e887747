from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:slug>.csv", views.panel_csv, name="panel_csv"),
    path("export-delivrances/", views.export_dispensations, name="export_dispensations"),
]
