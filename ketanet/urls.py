from django.contrib import admin
from django.urls import include, path

from ketanet import views

urlpatterns = [
    path("", include("directory.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
