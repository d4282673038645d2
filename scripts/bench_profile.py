"""Where a page's time goes, for `make bench`: cProfile over requests through the
test client, its own time summed by area (database, ORM, templates …)."""

import cProfile
import pstats
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


# Where a request's own time (cProfile's tottime) is spent, by the file it is in;
# the first area whose needle is in the file's path takes it. The standard
# library's, built-ins' and Django's utilities' own time counts for the areas
# that called them (a deepcopy for the ORM's query cloning, an escape for a template).
OURS = "ketanet's own code"
PROFILE_AREAS = {
    "database (driver, SQL, waiting)": ("psycopg", "/django/db/backends/"),
    "ORM (query building, model instances)": ("/django/db/models/",),
    "templates": ("/django/template/", "/jinja2/", "/django/templatetags/"),
    "forms": ("/django/forms/",),
    "request, URLs, middleware, sessions, auth": (
        "/django/core/handlers/", "/django/http/", "/django/urls/", "/django/middleware/",
        "/django/contrib/", "/whitenoise/", "/csp/", "/django_permissions_policy/",
        "/axes/", "/simple_history/",
    ),
    "translation": ("/django/utils/translation/",),
    "REST framework": ("/rest_framework/",),
    "the test client (not in production)": ("/django/test/",),
    OURS: tuple(
        f"{BASE_DIR}/{app}/" for app in ("core", "directory", "articles", "ketanet")
    ),
}  # fmt: skip
OTHER_AREA = "everything else"


def profile(client, requests, count):
    """Where `count` of `requests` (GETs through the test `client`) spend their time under
    cProfile: own time by area (shares), ms and Python function calls per request, and
    ketanet's functions with the most time spent in them and below (ms per request, its
    middleware aside)."""
    for path, params in requests[:20]:
        client.get(path, params)
    profiler = cProfile.Profile()
    profiler.enable()
    for index in range(count):
        path, params = requests[index % len(requests)]
        client.get(path, params)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(timing[2] for timing in stats.stats.values())
    own = dict.fromkeys([*PROFILE_AREAS, OTHER_AREA], 0.0)
    areas = areas_by_caller(stats.stats)
    ours = []
    for key, (_, _, tottime, cumtime, _) in stats.stats.items():
        for area, share in areas(key).items():
            own[area] += tottime * share
        filename, line, function = key
        if area_of(filename) == OURS and function != "__call__":  # the middleware: all of it
            where = filename.removeprefix(f"{BASE_DIR}/")
            ours.append((cumtime / count * 1000, f"{where}:{line} {function}"))
    return {
        "shares": {area: seconds / total for area, seconds in own.items()},
        "ms": total / count * 1000,
        "calls": stats.total_calls / count,
        "heaviest": sorted(ours, reverse=True)[:6],
    }


def area_of(filename):
    """The area of PROFILE_AREAS a file belongs to, or None."""
    return next(
        (area for area, needles in PROFILE_AREAS.items() if any(n in filename for n in needles)),
        None,
    )


def areas_by_caller(entries):
    """A function (a pstats key) → {area: share of its own time}: its file's area, or
    else its callers' areas, in proportion to the time spent in it for each caller."""
    found = {}

    def areas(key, seen=frozenset()):
        if area := area_of(key[0]):
            return {area: 1.0}
        if key in found:
            return found[key]
        callers = entries[key][4]  # caller → (calls, primitive calls, own time, cumulative)
        spent = sum(edge[2] for edge in callers.values())
        if key in seen or not spent:
            return {OTHER_AREA: 1.0}
        shares = dict.fromkeys([*PROFILE_AREAS, OTHER_AREA], 0.0)
        for caller, edge in callers.items():
            for area, share in areas(caller, seen | {key}).items():
                shares[area] += share * edge[2] / spent
        found[key] = shares
        return shares

    return areas
