"""Dashboard pages, mounted at /dashboard/ by config/urls.py."""
from django.urls import path

from dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.dashboard, name="index"),
]
