from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("sites-de-soins/", views.sites, name="sites"),
    path("sites-de-soins/nouveau/", views.site_form, name="site_create"),
    path("sites-de-soins/<int:site_id>/modifier/", views.site_form, name="site_edit"),
    path("mon-site/", views.my_sites, name="my_sites"),
    path("mon-site/<int:site_id>/statut/", views.site_status, name="site_status"),
    path("professionnel/adresser/", views.refer, name="refer"),
    path("professionnel/adresser/site/<int:site_id>/", views.refer_site, name="refer_site"),
    path("professionnel/adresser/fiche/<int:referral_id>/", views.slip, name="slip"),
    path("orientation/", views.orientation_home, name="orientation_home"),
    path("orientation/<str:code>/", views.orientation, name="orientation"),
]
