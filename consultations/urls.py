from django.urls import path

from consultations import views

app_name = "consultations"

urlpatterns = [
    path("", views.patient_home, name="patient_home"),
    path("departement/<str:code>/", views.departement, name="departement"),
    path("lieu/<int:site_id>/", views.site_detail, name="site_detail"),
    path("lieu/<int:site_id>/liste-attente/", views.waiting_list, name="waiting_list"),
    path("lieu/<int:site_id>/agenda/", views.site_agenda, name="site_agenda"),
    path("alerte/", views.alert_create, name="alert_create"),
    path("alerte/<str:token>/supprimer/", views.alert_unsubscribe, name="alert_unsubscribe"),
    path("creneau/<int:slot_id>/reserver/", views.book, name="book"),
    path("file-d-attente/", views.waiting_room_page, name="waiting_room"),
    path("rendez-vous/<str:token>/", views.booking_detail, name="booking_detail"),
    path("rendez-vous/<str:token>/annuler/", views.cancel, name="cancel"),
    path("rendez-vous/<str:token>/consultation.ics", views.booking_ics, name="booking_ics"),
    path("medecin/", views.volunteer_home, name="volunteer_home"),
    path("medecin/engagement/", views.volunteer_profile, name="volunteer_profile"),
    path("medecin/disponibilites/", views.availability_add, name="availability_add"),
    path(
        "medecin/disponibilites/<int:availability_id>/retirer/",
        views.availability_delete,
        name="availability_delete",
    ),
    path("medecin/journee/", views.doctor_day, name="doctor_day"),
    path("medecin/rendez-vous/<int:booking_id>/presence/", views.attendance, name="attendance"),
    path("gestion/", views.manage_home, name="manage_home"),
    path("gestion/missions/", views.mission_create, name="mission_create"),
    path("gestion/missions/<int:mission_id>/", views.mission_detail, name="mission_detail"),
    path("gestion/missions/<int:mission_id>/publier/", views.mission_publish, name="mission_publish"),
    path("gestion/missions/<int:mission_id>/hebergement/", views.mission_lodging, name="mission_lodging"),
    path("gestion/missions/<int:mission_id>/annuler/", views.mission_cancel, name="mission_cancel"),
]
