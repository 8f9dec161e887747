from django.urls import path

from pharmacies import views

app_name = "pharmacies"

urlpatterns = [
    path("", views.home, name="home"),
    path("equipe/<int:membership_id>/valider/", views.approve_staff, name="approve_staff"),
]
