from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("a-valider/", views.pending_accounts, name="pending_accounts"),
    path("a-valider/<int:user_id>/valider/", views.approve_account, name="approve_account"),
]
