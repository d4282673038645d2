from django.urls import path

from directory import views

urlpatterns = [
    path("", views.home, name="home"),
    path("clinics/", views.clinic_search, name="clinics"),
    path("clinics/<str:state>/", views.state_landing, name="state-landing"),
    path("clinics/<str:state>/<slug:city>/", views.city_landing, name="city-landing"),
    path("providers/<slug:slug>/", views.provider_detail, name="provider-detail"),
    path("conditions/<slug:slug>/", views.condition_landing, name="condition-landing"),
]
