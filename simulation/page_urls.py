"""Simulation pages, mounted at /simulation/ by config/urls.py."""
from django.urls import path

from . import views

app_name = "simulation"
urlpatterns = [
    path("", views.run_list, name="runs"),
    path("new/", views.run_new, name="new"),
    path("<int:pk>/", views.run_detail, name="run"),
    path("<int:pk>/cancel/", views.run_cancel, name="cancel"),
    path("<int:pk>/chart/", views.run_chart, name="chart"),
    path("<int:pk>/workbook.xlsx", views.run_workbook, name="workbook"),
]
