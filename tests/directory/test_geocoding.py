"""An address becomes coordinates: the offline gazetteer, or geopy's real Nominatim client.

The only stand-in is the outside service: a small HTTP server on loopback that answers
like Nominatim's /search and records what it was asked. Nothing reaches the internet.
"""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse

from directory.geocoding import fill_coordinates
from directory.models import Condition, Location, Place
from tests.admin_forms import form_data
from tests.cast import make_provider

pytestmark = pytest.mark.django_db

USER_AGENT = "ketanet-tests/1.0"
# Deliberately a few hundred metres from the ZIP centre, so the two cannot be confused.
CONGRESS_AVE = [{"lat": "30.2672", "lon": "-97.7431", "display_name": "100 Congress Ave"}]


class FakeNominatim(ThreadingHTTPServer):
    """Answers GET /search with `status`/`body` after `delay` seconds; records each request."""

    daemon_threads = True  # a handler still sleeping after a timeout must not block teardown

    def __init__(self):
        super().__init__(("127.0.0.1", 0), NominatimHandler)
        self.status, self.body, self.delay = 200, CONGRESS_AVE, 0.0
        self.requests = []  # (monotonic arrival time, path, params, headers)

    def handle_error(self, request, client_address):
        """A client that gave up (timeout test) closes the socket under us; that is expected."""


class NominatimHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlsplit(self.path)
        self.server.requests.append(
            (time.monotonic(), url.path, dict(parse_qsl(url.query)), dict(self.headers))
        )
        time.sleep(self.server.delay)
        payload = json.dumps(self.server.body).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        pass  # keep pytest's output for failures


@pytest.fixture(autouse=True)
def empty_cache():
    # Cached answers and the one-second turn would otherwise leak between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def nominatim(settings):
    """A local Nominatim, configured as the site's geocoder."""
    server = FakeNominatim()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    settings.GEOCODER = "nominatim"
    settings.GEOCODER_DOMAIN = f"127.0.0.1:{server.server_address[1]}"
    settings.GEOCODER_SCHEME = "http"
    settings.GEOCODER_USER_AGENT = USER_AGENT
    settings.GEOCODER_TIMEOUT = 5.0
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def provider():
    return make_provider(name="Test Clinic")


def austin(provider, **fields):
    values = {"address1": "100 Congress Ave", "city": "Austin", "state_id": "TX", "zip": "78701"}
    return Location(provider=provider, **{**values, **fields})


def where(location):
    return location.latitude, location.longitude, location.coordinates_source


def assert_at_zip_centre(location, zip_code="78701"):
    place = Place.objects.get(kind=Place.Kind.ZIP, zip=zip_code)
    assert where(location) == (place.latitude, place.longitude, Location.Source.GAZETTEER)


@pytest.mark.parametrize("zip_code", ["78701", "78701-1234"])
def test_default_gazetteer_places_location_at_zip_centre_without_asking_geocoder(
    provider, nominatim, settings, zip_code
):
    settings.GEOCODER = "gazetteer"  # the server is configured, but must not be asked
    location = austin(provider, zip=zip_code)

    assert fill_coordinates(location) is None
    assert_at_zip_centre(location)
    assert nominatim.requests == []


def test_unknown_zip_leaves_no_coordinates_and_warning_names_the_zip(provider):
    location = austin(provider, zip="00000", latitude=1.0, longitude=2.0)

    warning = fill_coordinates(location)

    assert where(location) == (None, None, "")
    assert "00000" in warning
    assert "gazetteer" in warning


def test_nominatim_answer_gives_geocoder_coordinates_from_a_structured_query(provider, nominatim):
    location = austin(provider, address2="Suite 200")

    assert fill_coordinates(location) is None

    assert where(location) == (30.2672, -97.7431, Location.Source.GEOCODER)
    [(_, path, params, headers)] = nominatim.requests
    assert path == "/search"
    assert params == {
        "street": "100 Congress Ave Suite 200",
        "city": "Austin",
        "state": "TX",
        "postalcode": "78701",
        "format": "json",
        "limit": "1",
        "countrycodes": "us",
    }
    assert headers["User-Agent"] == USER_AGENT


def test_nominatim_no_match_falls_back_to_zip_centre_with_warning(provider, nominatim):
    nominatim.body = []
    location = austin(provider)

    warning = fill_coordinates(location)

    assert_at_zip_centre(location)
    assert "no match" in warning
    assert "78701" in warning
    assert len(nominatim.requests) == 1


def test_geocoder_timeout_falls_back_to_zip_centre_with_warning_within_the_timeout(
    provider, nominatim, settings
):
    settings.GEOCODER_TIMEOUT = 0.3
    nominatim.delay = 1.0
    location = austin(provider)

    started = time.monotonic()
    warning = fill_coordinates(location)
    elapsed = time.monotonic() - started

    assert_at_zip_centre(location)
    assert "78701" in warning
    assert len(nominatim.requests) == 1
    assert elapsed < 3  # a bound that a save must not exceed, not a benchmark


def closed_port():
    """A port the OS just handed out and got back: nothing listens there."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("failure", [500, 503, "unreachable"])
def test_geocoder_failure_falls_back_to_zip_centre_with_warning(
    provider, nominatim, settings, failure
):
    if failure == "unreachable":
        settings.GEOCODER_DOMAIN = f"127.0.0.1:{closed_port()}"
    else:
        nominatim.status, nominatim.body = failure, {"error": "overloaded"}
    location = austin(provider)

    warning = fill_coordinates(location)

    assert_at_zip_centre(location)
    assert "78701" in warning
    assert len(nominatim.requests) == (0 if failure == "unreachable" else 1)


def test_cache_outage_does_not_stop_a_location_getting_coordinates(provider, nominatim, settings):
    # The module promises never to block the save; a shared cache (Redis) can be down.
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",  # as settings.py configures it
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    location = austin(provider)

    fill_coordinates(location)

    assert location.has_coordinates
    assert location.coordinates_source in {Location.Source.GEOCODER, Location.Source.GAZETTEER}


@pytest.mark.parametrize("answer", [CONGRESS_AVE, []], ids=["match", "no-match"])
def test_geocoder_answer_for_an_address_is_cached(provider, nominatim, answer):
    nominatim.body = answer
    first, second = austin(provider), austin(provider)

    first_warning = fill_coordinates(first)
    second_warning = fill_coordinates(second)

    assert len(nominatim.requests) == 1
    assert second_warning == first_warning
    assert where(second) == where(first)


def test_coordinates_typed_by_an_editor_are_never_replaced(provider, nominatim):
    location = austin(
        provider, latitude=30.5, longitude=-97.5, coordinates_source=Location.Source.MANUAL
    )

    assert fill_coordinates(location) is None

    assert where(location) == (30.5, -97.5, Location.Source.MANUAL)
    assert nominatim.requests == []


def test_requests_for_different_addresses_are_spaced_at_least_a_second_apart(provider, nominatim):
    locations = [austin(provider), austin(provider, address1="200 Congress Ave")]

    warnings = [fill_coordinates(location) for location in locations]

    # The second address waits its turn and is still geocoded, not sent to the fallback.
    assert warnings == [None, None]
    assert {location.coordinates_source for location in locations} == {Location.Source.GEOCODER}
    [first, second] = [arrived for arrived, *_ in nominatim.requests]
    assert second - first >= 0.9


@pytest.mark.parametrize(
    ("geocoder", "source"),
    [("nominatim", Location.Source.GEOCODER), ("gazetteer", Location.Source.GAZETTEER)],
)
def test_saved_location_keeps_filled_coordinates_and_source(
    provider, nominatim, settings, geocoder, source
):
    settings.GEOCODER = geocoder
    location = austin(provider)
    fill_coordinates(location)
    location.save()

    saved = Location.objects.get(pk=location.pk)

    assert where(saved) == where(location)
    assert saved.coordinates_source == source


# --- Through the editors' admin ---------------------------------------------------------------


def add_clinic_in_austin(client):
    """Post the admin's add form as an editor fills it: one provider, one Austin location."""
    url = reverse("admin:directory_provider_add")
    data = form_data(client.get(url), "provider_form")
    data.update(
        {
            "name": "Congress Avenue Ketamine",
            "slug": "congress-avenue-ketamine",
            "website": "congress.example",
            "phone": "512.555.0142",
            "conditions": [Condition.objects.get(slug="depression").pk],
            "locations-0-address1": "100 Congress Ave",
            "locations-0-city": "Austin",
            "locations-0-state": "TX",
            "locations-0-zip": "78701",
        }
    )
    return client.post(url, data)


@pytest.mark.parametrize("failure", ["slow", "unreachable"])
def test_editor_save_with_a_failing_geocoder_succeeds_in_time_at_the_zip_centre(
    editor_client, nominatim, settings, failure
):
    settings.GEOCODER_TIMEOUT = 1.0
    if failure == "slow":
        nominatim.delay = 4.0  # answers long after the site stopped waiting
    else:
        settings.GEOCODER_DOMAIN = f"127.0.0.1:{closed_port()}"

    started = time.monotonic()
    response = add_clinic_in_austin(editor_client)
    elapsed = time.monotonic() - started

    assert response.status_code == 302  # saved, not the form again
    assert elapsed < settings.GEOCODER_TIMEOUT + 2  # the timeout, plus the save itself
    assert_at_zip_centre(Location.objects.get(provider__slug="congress-avenue-ketamine"))
    shown = editor_client.get(response["Location"])
    warnings = [str(m) for m in shown.context["messages"] if m.level_tag == "warning"]
    assert warnings == [
        "The geocoder did not answer; 100 Congress Ave, Austin, TX 78701 was placed at the "
        "centre of ZIP 78701."
    ]
