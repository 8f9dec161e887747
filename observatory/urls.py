from django.urls import path

from observatory import views

app_name = "observatory"

urlpatterns = [
    path("", views.observatory, name="observatory"),
    path("export.csv", views.observatory_csv, name="csv"),
    path("carte.json", views.observatory_map, name="map"),
]
