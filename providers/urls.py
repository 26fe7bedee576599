"""REST API v1 routes of this app (mounted under /api/v1/ by config/urls.py)."""
from django.urls import path

from .views import ProviderDetailView, ProviderListCreateView

urlpatterns = [
    path("providers/", ProviderListCreateView.as_view(), name="provider-list"),
    path("providers/<str:fixmedins_code>/", ProviderDetailView.as_view(), name="provider-detail"),
]
