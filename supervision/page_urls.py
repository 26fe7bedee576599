"""Supervision pages, mounted at /supervision/ by config/urls.py."""
from django.urls import path

from supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("warnings/", views.warning_list, name="warnings"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning"),
    path("warnings/<int:pk>/action/", views.warning_action, name="warning_action"),
    path("indicators/", views.indicator_list, name="indicators"),
    path("indicators/compute/", views.indicators_compute_page, name="indicators_compute"),
    path("providers/<str:code>/", views.provider_detail, name="provider"),
]
