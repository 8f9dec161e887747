from django.urls import path

from consultations import views

app_name = "consultations"

urlpatterns = [
    path("", views.patient_home, name="patient_home"),
]
