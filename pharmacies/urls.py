from django.urls import path

from pharmacies import views

app_name = "pharmacies"

urlpatterns = [
    path("", views.home, name="home"),
    path("equipe/<int:membership_id>/valider/", views.approve_staff, name="approve_staff"),
    path("<int:pharmacy_id>/stock/", views.stock, name="stock"),
    path("<int:pharmacy_id>/stock/arrivee/", views.declare_arrival, name="declare_arrival"),
    path("<int:pharmacy_id>/stock/inventaire/", views.declare_count, name="declare_count"),
    path("<int:pharmacy_id>/stock/perte/", views.declare_loss, name="declare_loss"),
    path("<int:pharmacy_id>/stock/transfert/", views.transfer, name="transfer"),
    path("<int:pharmacy_id>/stock/<slug:product_code>/epuise/", views.mark_sold_out, name="mark_sold_out"),
    path("<int:pharmacy_id>/mouvements/", views.ledger, name="ledger"),
    path(
        "<int:pharmacy_id>/mouvements/<int:movement_id>/corriger/",
        views.correct_movement,
        name="correct_movement",
    ),
    path("<int:pharmacy_id>/professionnels/", views.professionals, name="professionals"),
    path("<int:pharmacy_id>/stock-a-proximite/", views.nearby_stock, name="nearby_stock"),
]
