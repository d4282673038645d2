"""Suggest a provider: /suggest/ files a suggestion for editors."""

import time

import pytest

from core.public_forms import form_token
from directory.submissions import Submission
from tests.xss_corpus import PAYLOADS, inspect

pytestmark = pytest.mark.django_db

URL = "/suggest/"


def suggestion(**fields):
    return {
        "name": "Lakeside Ketamine Center",
        "website": "lakeside-ketamine.example",
        "city": " Madison ",
        "state": "WI",
        "phone": "608 555 0142",
        "details": "Offers IV infusions; a friend was treated there.",
        "email": "",
        "started": form_token("suggest", issued_at=time.time() - 60),
        **fields,
    }


def test_get_shows_every_field_and_sets_no_cookie(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ["name", "website", "city", "state", "phone", "details", "email"]:
        assert f'name="{name}"' in html
    assert response.cookies == {}


def test_a_good_suggestion_is_filed_normalised(client):
    response = client.post(URL, suggestion(email="sam@example.org"))
    assert response.status_code == 303
    assert response["Location"] == "/suggest/sent/"
    item = Submission.objects.get()
    assert item.kind == "suggestion"
    assert item.status == "new"
    assert item.provider is None
    assert item.provider_name == "Lakeside Ketamine Center"
    assert item.website == "https://lakeside-ketamine.example"
    assert (item.city, item.state) == ("Madison", "WI")
    assert item.phone == "(608) 555-0142"
    assert item.email == "sam@example.org"
    thanks = client.get("/suggest/sent/")
    assert thanks.status_code == 200
    assert "Thank you" in thanks.content.decode()


def test_only_name_and_state_are_required(client):
    data = suggestion(website="", city="", phone="", details="")
    assert client.post(URL, data).status_code == 303


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Give the name"),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"state": ""}, "state", "Choose the state"),
        ({"state": "ZZ"}, "state", "Select a valid choice"),
        ({"website": "ftp://files.example"}, "website", "valid URL"),
        ({"phone": "555"}, "phone", "U.S. phone number"),
        ({"details": "y" * 2001}, "details", "at most 2000 characters"),
        ({"email": "@nowhere"}, "email", "valid email"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_kept(client, fields, field, message):
    response = client.post(URL, suggestion(**fields))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert f'aria-describedby="id_{field}' in html
    assert "Lakeside Ketamine Center" in html or field == "name"
    assert not Submission.objects.exists()


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_typed_text_comes_back_inert(client, payload):
    data = suggestion(name=payload[:200], city=payload[:100], details=payload[:2000], phone="1")
    response = client.post(URL, data)
    assert response.status_code == 400
    inspect(response.content.decode())


def test_home_and_empty_results_link_to_the_form(client):
    assert 'href="/suggest/"' in client.get("/").content.decode()
    empty = client.get("/clinics/", {"near": "Fairbanks, AK", "radius": "10"})
    assert empty.status_code == 200
    assert 'href="/suggest/"' in empty.content.decode()
