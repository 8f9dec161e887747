from django.urls import path

from distribution import views

app_name = "distribution"

urlpatterns = [
    path("", views.ars_home, name="ars_home"),
]
