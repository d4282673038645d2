"""An editor's address → coordinates, never blocking or losing the save.

By default the offline gazetteer gives the ZIP code's centre. A geopy geocoder
can be configured instead (GEOCODER=nominatim, with GEOCODER_DOMAIN and
GEOCODER_USER_AGENT); when it fails, times out or finds nothing, the ZIP
centre is used and the editor is told.
"""

import hashlib
import logging
import time
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.cache import cache
from geopy.adapters import URLLibAdapter
from geopy.exc import GeopyError
from geopy.geocoders import get_geocoder_for_service

from directory.models import Location, Place

logger = logging.getLogger(__name__)

CACHE_SECONDS = 30 * 24 * 3600
NO_MATCH = "no-match"


def _geocoder():
    geocoder_class = get_geocoder_for_service(settings.GEOCODER)
    return geocoder_class(
        domain=settings.GEOCODER_DOMAIN or None,
        scheme=settings.GEOCODER_SCHEME,
        user_agent=settings.GEOCODER_USER_AGENT,
        timeout=settings.GEOCODER_TIMEOUT,
        # One try per save. geopy picks requests when it is installed, and its
        # adapter retries twice more, so a slow geocoder held a save for three timeouts.
        adapter_factory=URLLibAdapter,
    )


def _wait_for_turn():
    """Space requests at least a second apart across every process sharing the cache."""
    # Turns come a second apart, so wait at least that long whatever the timeout.
    deadline = time.monotonic() + max(settings.GEOCODER_TIMEOUT, 1.5)
    while not cache.add("geocoder:turn", 1, timeout=1):
        if time.monotonic() > deadline:
            raise TimeoutError("waited too long for a turn with the geocoder")
        time.sleep(0.05)


def geocode_address(address):
    """Return (latitude, longitude) from the configured geocoder, or None for no match.

    Raises GeopyError (or TimeoutError) when the geocoder cannot answer.
    """
    key = "geocoder:" + hashlib.sha256(repr(sorted(address.items())).encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return None if cached == NO_MATCH else tuple(cached)
    _wait_for_turn()
    result = _geocoder().geocode(address, exactly_one=True, country_codes="us")
    point = (result.latitude, result.longitude) if result else None
    cache.set(key, point or NO_MATCH, CACHE_SECONDS)
    return point


def zip_centres(zips: Iterable[str]) -> dict[str, Place]:
    """The gazetteer's entries for `zips` (by their first five digits), in one query, for
    a writer that places many sites at once (the CSV importer: fill_coordinates())."""
    wanted = {zip_code[:5] for zip_code in zips}
    if not wanted:
        return {}
    places = Place.objects.filter(kind=Place.Kind.ZIP, zip__in=wanted)
    return {place.zip: place for place in places if place.zip is not None}


def fill_coordinates(location, centres: Mapping[str, Place] | None = None):
    """Set a location's coordinates from its address; return a warning for the editor or None.

    Does not save. Coordinates an editor typed (source "manual") are never replaced.
    `centres` are the ZIP codes' entries read before (zip_centres()), if they were.
    """
    if location.coordinates_source == Location.Source.MANUAL and location.has_coordinates:
        return None
    warning = None
    if settings.GEOCODER != "gazetteer":
        address = {
            "street": " ".join(filter(None, [location.address1, location.address2])),
            "city": location.city,
            "state": location.state_id,
            "postalcode": location.zip,
        }
        try:
            point = geocode_address(address)
        except (GeopyError, TimeoutError) as error:
            logger.warning("Geocoder failed for %s: %r", location.zip, error)
            warning = "The geocoder did not answer"
        else:
            if point:
                location.latitude, location.longitude = point
                location.coordinates_source = Location.Source.GEOCODER
                return None
            warning = "The geocoder found no match for this address"

    if centres is None:
        place = Place.objects.filter(kind=Place.Kind.ZIP, zip=location.zip[:5]).first()
    else:
        place = centres.get(location.zip[:5])
    if place is None:
        location.latitude = location.longitude = None
        location.coordinates_source = ""
        return (
            f"ZIP {location.zip} is not in our gazetteer, so {location} has no coordinates "
            "and will not appear in searches near a place. Check the ZIP or enter latitude "
            "and longitude."
        )
    location.latitude, location.longitude = place.latitude, place.longitude
    location.coordinates_source = Location.Source.GAZETTEER
    if warning:
        return f"{warning}; {location} was placed at the centre of ZIP {place.zip}."
    return None
