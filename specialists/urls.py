from django.urls import path

from specialists import views

app_name = "specialists"

urlpatterns = [
    path("", views.home, name="home"),
    path("mon-inscription/", views.profile, name="profile"),
    path("demande/nouvelle/", views.new_request, name="new_request"),
    path("demande/<int:request_id>/", views.request_detail, name="request_detail"),
    path("demande/<int:request_id>/accepter/", views.accept, name="accept"),
    path("demande/<int:request_id>/repondre/", views.answer, name="answer"),
    path("demande/<int:request_id>/pieces/<int:attachment_id>/", views.attachment, name="attachment"),
    path("chiffres/", views.figures, name="figures"),
]
