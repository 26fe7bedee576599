"""REST API v1 routes of this app (mounted under /api/v1/ by config/urls.py)."""
from django.urls import path

from . import views

urlpatterns = [
    path("settlement-runs/", views.SettlementRunListView.as_view(), name="settlement-run-list"),
    path("settlement-runs/<int:pk>/", views.SettlementRunDetailView.as_view(), name="settlement-run-detail"),
    path("settlement-runs/<int:pk>/approve/", views.SettlementRunApproveView.as_view(), name="settlement-run-approve"),
    path("settlement-runs/<int:pk>/lines/", views.SettlementRunLinesView.as_view(), name="settlement-run-lines"),
]
