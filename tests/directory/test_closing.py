"""Closing a provider hides it from patients everywhere and keeps the record; only a
superuser deletes one."""

import pytest
from django.test import Client
from django.urls import reverse

from directory.models import Location, Provider
from tests import cast
from tests.admin_forms import form_data

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/clinics/?near=78701",
    "/clinics/tx/",
    "/clinics/tx/austin/",
    "/conditions/depression/",
    "/api/providers/?near=78701",
    "/api/providers/?near=TX",
    "/sitemap-providers.xml",
]


def close_in_admin(client, provider):
    url = reverse("admin:directory_provider_change", args=[provider.pk])
    data = form_data(client.get(url), "provider_form")
    data["status"] = Provider.Status.CLOSED
    assert client.post(url, data).status_code == 302


def shown_publicly(provider):
    """The public pages (of PUBLIC_PAGES) that name or link `provider`."""
    anonymous = Client()
    found = []
    for url in PUBLIC_PAGES:
        response = anonymous.get(url)
        assert response.status_code in {200, 404}, url
        body = response.content.decode()
        if provider.name in body or provider.get_absolute_url() in body:
            found.append(url)
    return found


def test_closed_provider_disappears_from_every_public_page_but_is_kept(editor_client):
    clinic = cast.austin_clinic()
    home = cast.at_home_service()
    assert set(shown_publicly(clinic)) >= {
        "/clinics/?near=78701",
        "/clinics/tx/",
        "/clinics/tx/austin/",
        "/api/providers/?near=78701",
        "/sitemap-providers.xml",
    }
    assert set(shown_publicly(home)) >= {
        "/clinics/?near=78701",
        "/conditions/depression/",
        "/api/providers/?near=TX",
        "/sitemap-providers.xml",
    }
    assert "/clinics/tx/austin/" in Client().get("/sitemap-cities.xml").content.decode()

    close_in_admin(editor_client, clinic)
    close_in_admin(editor_client, home)

    for provider in (clinic, home):
        assert shown_publicly(provider) == []
        assert Client().get(provider.get_absolute_url()).status_code == 404
        provider.refresh_from_db()
        assert provider.status == Provider.Status.CLOSED
        # Editors still find it, and can open it again.
        assert editor_client.get(provider.get_absolute_url()).status_code == 200
        record = provider.history.first()
        assert (record.prev_record.status, record.status) == ("published", "closed")
    assert Location.objects.filter(provider=clinic).count() == 1
    # The landing page of a city with only closed clinics leaves the sitemap too.
    assert "/clinics/tx/austin/" not in Client().get("/sitemap-cities.xml").content.decode()


def test_editor_cannot_delete_a_provider_but_a_superuser_can(editor_client, admin_client):
    provider = cast.austin_clinic()
    delete_page = reverse("admin:directory_provider_delete", args=[provider.pk])
    assert editor_client.post(delete_page, {"post": "yes"}).status_code == 403
    assert Provider.objects.filter(pk=provider.pk).exists()

    response = admin_client.get(reverse("admin:directory_provider_changelist"))
    assert "delete_selected" in dict(response.context["action_form"].fields["action"].choices)
    assert admin_client.post(delete_page, {"post": "yes"}).status_code == 302
    assert not Provider.objects.filter(pk=provider.pk).exists()
    # Even a deletion leaves its trace: who deleted what, and when.
    record = Provider.history.filter(id=provider.pk).first()
    assert record.history_type == "-"
    assert record.history_user.username == "admin"
    assert record.name == "Austin Ketamine Clinic"
