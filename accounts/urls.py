"""REST API v1 routes of this app (mounted under /api/v1/ by config/urls.py)."""
from django.urls import path

from accounts.views import MemberAccountView, MemberRelativesView

urlpatterns: list = [
    path("members/<str:admdvs>/<str:certno>/account/", MemberAccountView.as_view(), name="member-account"),
    path("members/<str:admdvs>/<str:certno>/relatives/", MemberRelativesView.as_view(), name="member-relatives"),
]
