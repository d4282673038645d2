from django.urls import path

from directory import views

urlpatterns = [
    path("", views.home, name="home"),
    path("providers/<slug:slug>/", views.provider_detail, name="provider-detail"),
]
