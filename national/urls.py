from django.urls import path

from . import views

urlpatterns = [
    path("api/national/", views.national_interface, name="national-interface"),
    path("national/reconciliation/", views.reconciliation_page, name="national-reconciliation"),
]
