"""REST API v1 routes of this app (mounted under /api/v1/ by config/urls.py)."""
from django.urls import path

from . import api

urlpatterns = [
    path("simulations/", api.SimulationListView.as_view(), name="simulation-list"),
    path("simulations/<int:pk>/", api.SimulationDetailView.as_view(), name="simulation-detail"),
]
