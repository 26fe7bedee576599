"""REST API v1 routes of this app (mounted under /api/v1/ by config/urls.py)."""
from django.urls import path

from . import views

urlpatterns = [
    path("claims/", views.ClaimListCreateView.as_view(), name="claim-list"),
    path("claims/<str:setl_id>/", views.ClaimDetailView.as_view(), name="claim-detail"),
    path("claims/<str:setl_id>/reverse/", views.ClaimReverseView.as_view(), name="claim-reverse"),
    path("members/<str:admdvs>/<str:certno>/accumulators/", views.MemberAccumulatorsView.as_view(),
         name="member-accumulators"),
]
