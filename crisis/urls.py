from django.urls import path

from crisis import views

app_name = "crisis"

urlpatterns = [
    path("", views.home, name="home"),
    path("activer/", views.activate, name="activate"),
    path("<int:activation_id>/", views.console, name="console"),
    path("<int:activation_id>/suivi.json", views.console_data, name="console_data"),
    path("<int:activation_id>/decision/", views.record_decision, name="decision"),
    path("<int:activation_id>/cloturer/", views.end_activation, name="end"),
    path("<int:activation_id>/bulletin/", views.publish_bulletin, name="bulletin"),
    path("<int:activation_id>/recensement/", views.census, name="census"),
    path("<int:activation_id>/renfort/", views.post_request, name="post_request"),
    path("<int:activation_id>/bilan/", views.report, name="report"),
    path("<int:activation_id>/disponibilite/", views.declare_availability, name="availability"),
    path("site/<int:site_id>/renfort/", views.post_site_request, name="site_request"),
    path("renfort/<int:request_id>/", views.request_detail, name="request"),
    path("renfort/<int:request_id>/accepter/", views.accept_request, name="accept"),
    path("pris-en-compte/<str:token>/", views.acknowledge, name="acknowledge"),
    path(
        "bulletin/<int:bulletin_id>/pris-en-compte/", views.acknowledge_in_portal, name="acknowledge_portal"
    ),
]
