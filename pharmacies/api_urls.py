"""Stock API routes, included under /api/ by gomask/api_urls.py."""

from django.urls import path

from pharmacies import api

urlpatterns = [
    path("pharmacies/", api.MyPharmaciesView.as_view(), name="api-my-pharmacies"),
    path("pharmacies/<int:pharmacy_id>/stock/", api.StockView.as_view(), name="api-stock"),
    path("pharmacies/<int:pharmacy_id>/movements/", api.LedgerView.as_view(), name="api-ledger"),
    path(
        "pharmacies/<int:pharmacy_id>/movements/<int:movement_id>/corrections/",
        api.CorrectionView.as_view(),
        name="api-correction",
    ),
    path("pharmacies/<int:pharmacy_id>/arrivals/", api.ArrivalView.as_view(), name="api-arrivals"),
    path(
        "pharmacies/<int:pharmacy_id>/inventory-counts/", api.InventoryCountView.as_view(), name="api-counts"
    ),
    path("pharmacies/<int:pharmacy_id>/losses/", api.LossView.as_view(), name="api-losses"),
    path("pharmacies/<int:pharmacy_id>/transfers/", api.TransferView.as_view(), name="api-transfers"),
    path("pharmacies/<int:pharmacy_id>/sold-out/", api.SoldOutView.as_view(), name="api-sold-out"),
    path("availability/", api.AvailabilityView.as_view(), name="api-availability"),
]
