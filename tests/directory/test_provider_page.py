"""/providers/<slug>/: everything about one provider; drafts only for editors."""

import pytest

from tests.cast import at_home_service, austin_clinic, draft_provider

pytestmark = pytest.mark.django_db


def test_profile_shows_address_phone_website_and_directions(client):
    provider = austin_clinic()
    response = client.get(provider.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Austin Ketamine Clinic</h1>" in html
    assert "100 Congress Ave" in html
    assert "Austin, TX 78701" in html
    assert 'href="tel:+1-512-555-0100"' in html
    assert 'href="https://austin-ketamine.example"' in html
    assert "https://www.openstreetmap.org/directions?route=%3B30.26720%2C-97.74310" in html
    assert "Accepting new patients" in html
    assert "October 1, 2026" in html
    assert "noindex" not in html


def test_at_home_profile_lists_the_states_it_serves(client):
    response = client.get(at_home_service().get_absolute_url())
    assert "Treats patients at home in: Ohio, Texas." in response.content.decode()


def test_profile_uses_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    provider = austin_clinic()
    with django_assert_max_num_queries(6):
        client.get(provider.get_absolute_url())


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_unpublished_provider_is_404_for_the_public(client, status):
    provider = draft_provider(status=status)
    assert client.get(provider.get_absolute_url()).status_code == 404


def test_editor_previews_a_draft_with_a_banner_and_noindex(editor_client):
    response = editor_client.get(draft_provider().get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "patients cannot see this page" in html
    assert '<meta name="robots" content="noindex">' in html


def test_unknown_provider_is_404(client):
    assert client.get("/providers/no-such-clinic/").status_code == 404


def test_profile_refuses_writes(client):
    assert client.post(austin_clinic().get_absolute_url()).status_code == 405


def json_ld_blocks(html):
    import json
    import re

    return [
        json.loads(block)
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


def test_profile_has_medical_clinic_json_ld(client):
    provider = austin_clinic()
    data, breadcrumbs = json_ld_blocks(client.get(provider.get_absolute_url()).content.decode())
    [clinic] = data["@graph"]
    assert breadcrumbs["@type"] == "BreadcrumbList"
    assert [item["name"] for item in breadcrumbs["itemListElement"]] == [
        "Home",
        "Find treatment",
        "Texas",
        "Austin Ketamine Clinic",
    ]
    assert breadcrumbs["itemListElement"][2]["item"] == "http://testserver/clinics/tx/"
    assert data["@context"] == "https://schema.org"
    assert clinic["@type"] == "MedicalClinic"
    assert clinic["name"] == "Austin Ketamine Clinic"
    assert clinic["url"] == "http://testserver/providers/austin-ketamine-clinic/"
    assert clinic["isAcceptingNewPatients"] is True
    assert clinic["geo"] == {"@type": "GeoCoordinates", "latitude": 30.2672, "longitude": -97.7431}
    assert clinic["address"]["postalCode"] == "78701"
    assert clinic["address"]["addressRegion"] == "TX"
    assert clinic["medicalSpecialty"] == "https://schema.org/Psychiatric"
    assert clinic["availableService"] == [{"@type": "MedicalTherapy", "name": "IV infusion"}]


def test_json_ld_cannot_be_broken_out_of(client):
    provider = austin_clinic(description="x")
    provider.name = "</script><script>alert(1)</script>"
    provider.save()
    html = client.get(provider.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    data, breadcrumbs = json_ld_blocks(html)
    assert data["@graph"][0]["name"] == "</script><script>alert(1)</script>"
    assert breadcrumbs["itemListElement"][-1]["name"] == "</script><script>alert(1)</script>"
