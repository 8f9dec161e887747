from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:notification_id>/ouvrir/", views.open_notification, name="open"),
    path("tout-lu/", views.mark_all_read, name="mark_all_read"),
    path("preferences/", views.preferences, name="preferences"),
    path("desabonnement/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("arrivee/<int:notice_id>/", views.arrival, name="arrival"),
    path("appels/", views.call_arrivals, name="calls"),
    path("appels/<int:notice_id>/", views.call_list, name="call_list"),
    path("appels/<int:notice_id>/<int:professional_id>/", views.mark_reached, name="mark_reached"),
    path("bulletins/", views.bulletin_list, name="bulletins"),
    path("bulletins/publier/", views.publish_bulletin, name="bulletin_publish"),
    path("bulletins/<int:bulletin_id>/", views.bulletin_detail, name="bulletin_detail"),
]
