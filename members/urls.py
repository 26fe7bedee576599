"""REST API v1 routes of this app (mounted under /api/v1/ by config/urls.py)."""
from django.urls import path

from .registration_api import RegistrationCancelView, RegistrationDetailView, RegistrationListCreateView
from .views import MemberDetailView, MemberListCreateView, SignUpListCreateView

urlpatterns = [
    path("members/", MemberListCreateView.as_view(), name="member-list"),
    path("members/<str:admdvs>/<str:certno>/", MemberDetailView.as_view(), name="member-detail"),
    path("signups/", SignUpListCreateView.as_view(), name="signup-list"),
    path("out-of-area-registrations/", RegistrationListCreateView.as_view(), name="registration-list"),
    path("out-of-area-registrations/<int:pk>/", RegistrationDetailView.as_view(), name="registration-detail"),
    path("out-of-area-registrations/<int:pk>/cancel/", RegistrationCancelView.as_view(), name="registration-cancel"),
]
