#!/usr/bin/env python
"""`make bench`: search speed at N providers, measured against Django's own limit.

1. Loads N demo providers (BENCH_PROVIDERS, default 100,000) into PostgreSQL
   (DATABASE_URL, default a `ketanet_bench_<N>` database on the local server).
2. In process: 500 searches at random real ZIP codes × conditions (fixed
   seed) through the test client, HTML page and API: p50, p95, max, queries;
   and the location type-ahead (/api/places/) over what patients type on the
   way to a city, a ZIP code or a state, one request per keystroke.
3. Throughput: the production server (gunicorn, debug off) on loopback, driven
   for --duration seconds per URL by wrk (or a bounded Python client): a
   trivial view, the HTML search, the API search, an article, a profile; once
   without and once with the Redis response cache.
4. Prints a Markdown report and writes it to docs/performance.md.
"""

import argparse
import datetime
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

# One database per size, so that the 100,000 and 1,000,000 runs keep their data.
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/ketanet_bench_{providers}"
CONDITIONS = ["", "chronic-pain", "depression", "anxiety", "ptsd", "ocd", "bipolar-depression"]


def configure(args):
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE.format(providers=args.providers))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="ketanet.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or "bench-only-" + "x" * 40,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_STATIC_ROOT=str(BASE_DIR / "var" / "bench-static"),
    )
    os.environ.pop("REDIS_URL", None)  # the in-process figures are without Redis


def ensure_database(url):
    """Create the benchmark database on the PostgreSQL server if it is missing."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(providers, seed):
    """Migrate and load the data; returns the seconds seeding took (None: already there)."""
    from django.core.management import call_command

    from directory.models import Provider

    call_command("migrate", verbosity=0)
    call_command("load_gazetteer", verbosity=0)
    call_command(
        "loaddata",
        *(f"fixtures/{name}.json" for name in ["conditions", "treatments", "people", "articles"]),
        verbosity=0,
    )
    if Provider.objects.filter(external_id__startswith="demo-").count() == providers:
        return None
    started = time.monotonic()
    call_command("seed_demo", providers=providers, seed=seed, verbosity=0)
    return time.monotonic() - started


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


# The filters of the listing facts, all at once (payment, price, language, KAP, sort).
EVERY_FACT_FILTER = {
    "payment": ["self-pay", "hsa-fsa"],
    "max_price": "800",
    "language": "es",
    "kap": "1",
    "sort": "price",
}


def search_params(rng, zips):
    params = {"near": rng.choice(zips)}
    if condition := rng.choice(CONDITIONS):
        params["condition"] = condition
    return params


def latency(searches, seed):
    """Time searches through the test client; returns {url: (p50, p95, max, max queries)}."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from directory.models import Place

    zips = list(Place.objects.filter(kind="zip").order_by("zip").values_list("zip", flat=True))
    client = Client()
    results = {}
    for label, url, extra in [
        ("/clinics/", "/clinics/", {}),
        ("/api/providers/", "/api/providers/", {}),
        ("/clinics/ with every fact filter", "/clinics/", EVERY_FACT_FILTER),
        ("/api/providers/ with every fact filter", "/api/providers/", EVERY_FACT_FILTER),
    ]:
        rng = random.Random(seed)
        for _ in range(20):  # warm the caches and the connection
            client.get(url, {**search_params(rng, zips), **extra})
        rng = random.Random(seed)
        times, queries = [], []
        for _ in range(searches):
            params = {**search_params(rng, zips), **extra}
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, params)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, params, response.status_code)
            queries.append(len(captured.captured_queries))
        results[label] = (
            statistics.median(times),
            percentile(times, 0.95),
            max(times),
            max(queries),
        )
    return results


def typeahead_prefixes(rng, count):
    """`count` texts as typed on the way to real places: every prefix of "City, ST"
    (some with "St" for "Saint"), of a ZIP code and of a state's name."""
    from directory.models import Place
    from directory.states import STATES

    cities = list(Place.objects.filter(kind="city").order_by("pk").values_list("name", "state_id"))
    zips = list(Place.objects.filter(kind="zip").order_by("zip").values_list("zip", flat=True))
    pool = []
    while len(pool) < count:
        kind = rng.random()
        if kind < 0.6:
            name, state = rng.choice(cities)
            target = f"{name.replace('Saint ', 'St ')}, {state}"
        elif kind < 0.9:
            target = rng.choice(zips)
        else:
            target = rng.choice(list(STATES.values()))
        pool += [target[:end] for end in range(1, len(target) + 1) if target[:end].strip()]
    return pool[:count]


def typeahead_latency(seed, count):
    """Time /api/places/ through the test client, each text worked out afresh (this
    process's index built, its per-text memo cleared); returns (p50, p95, max, queries)
    of the wall-clock time and of this thread's CPU time (steady on a busy machine)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from directory.typeahead import place_index, suggest_places

    client = Client()
    texts = typeahead_prefixes(random.Random(seed), count)
    place_index()  # built once per process, on the first keystroke after a start
    for text in texts[:20]:  # warm the view's first-call work
        client.get("/api/places/", {"q": text})
    wall, cpu, queries = [], [], []
    for text in texts:
        suggest_places.cache_clear()
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.thread_time()
            response = client.get("/api/places/", {"q": text})
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
        assert response.status_code == 200, (text, response.status_code)
        queries.append(len(captured.captured_queries))
    return [
        (statistics.median(times), percentile(times, 0.95), max(times), max(queries))
        for times in (wall, cpu)
    ]


def profile(seed, searches=200):
    """Where an HTML search spends its time: cProfile over `searches` requests, by area."""
    import cProfile
    import pstats

    from django.test import Client

    from directory.models import Place

    zips = list(Place.objects.filter(kind="zip").order_by("zip").values_list("zip", flat=True))
    client, rng = Client(), random.Random(seed)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(searches):
        client.get("/clinics/", search_params(rng, zips))
    profiler.disable()
    stats = pstats.Stats(profiler)
    areas = {
        "database (driver and SQL)": ("psycopg", "/django/db/backends/"),
        "query building (ORM compiler)": ("/django/db/models/sql/",),
        "templates": ("/django/template/",),
        "forms and filters": ("/django/forms/", "/django_filters/"),
    }
    total = sum(timing[2] for timing in stats.stats.values())
    own = dict.fromkeys(areas, 0.0)
    for (filename, _, _), timing in stats.stats.items():
        for area, needles in areas.items():
            if any(needle in filename for needle in needles):
                own[area] += timing[2]
                break
    own["everything else (Python: views, models, middleware …)"] = total - sum(own.values())
    return {area: seconds / total for area, seconds in own.items()}, total / searches * 1000


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port, redis_url=None):
    env = dict(os.environ, PORT=str(port))
    if redis_url:
        env["REDIS_URL"] = redis_url
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "ketanet/gunicorn.conf.py"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def drive_wrk(url, duration):
    output = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{duration}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return float(match.group(1))


def drive_python(url, duration, workers=16):
    """A bounded load generator for machines without wrk: `workers` threads, keep-alive off."""
    done, failed = [0], [0]
    deadline = time.monotonic() + duration

    def worker():
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    response.read()
                done[0] += 1
            except OSError:
                failed[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed[0]:
        raise RuntimeError(f"{url}: {failed[0]} failed requests")
    return done[0] / duration


def throughput(paths, duration, redis_url=None):
    drive = drive_wrk if shutil.which("wrk") else drive_python
    port = free_port()
    server = start_server(port, redis_url)
    try:
        rates = {}
        for name, path in paths.items():
            url = f"http://127.0.0.1:{port}{path}"
            drive(url, 3)  # warm-up
            rates[name] = drive(url, duration)
        return rates, drive.__name__.removeprefix("drive_")
    finally:
        server.terminate()
        server.wait(timeout=30)


def bench_paths():
    from articles.models import Article
    from directory.models import Location, Provider

    clinic = (
        Location.objects.filter(provider__status=Provider.Status.PUBLISHED)
        .select_related("provider")
        .order_by("pk")
        .first()
    )
    article = Article.objects.published().order_by("pk").first()
    return {
        "baseline (plain text view)": "/ping",
        "HTML search": f"/clinics/?near={clinic.zip}&condition=depression",
        "API search": f"/api/providers/?near={clinic.zip}&condition=depression",
        "article page": article.get_absolute_url(),
        "provider profile": clinic.provider.get_absolute_url(),
    }


def ms(value):
    """Milliseconds, with a second decimal under 10 ms (a type-ahead answer takes a fraction)."""
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def report(args, seeded, latencies, runs, profiled):
    today = datetime.date.today().isoformat()
    lines = [
        f"## {args.providers:,} providers — {today}, {os.cpu_count()} cores",
        "",
        "Database: PostgreSQL. Seeding: "
        + (f"{seeded:.0f} s" if seeded is not None else "already loaded (not re-measured)")
        + ".",
        "",
        f"In process ({args.searches} searches, random real ZIP codes × conditions, seed "
        f"{args.seed}):",
        "",
        "| page | p50 | p95 | max | SQL queries per request (max) |",
        "|---|---|---|---|---|",
    ]
    for url, (p50, p95, worst, queries) in latencies.items():
        lines.append(f"| {url} | {ms(p50)} | {ms(p95)} | {ms(worst)} | {queries} |")
    shares, per_request = profiled
    lines += [
        "",
        f"Profile of the HTML search (cProfile, own time, {per_request:.0f} ms per request "
        "under the profiler):",
        "",
        "| where | share |",
        "|---|---|",
        *(f"| {area} | {share:.0%} |" for area, share in shares.items()),
    ]
    for label, (rates, tool) in runs.items():
        baseline = rates["baseline (plain text view)"]
        lines += [
            "",
            f"Throughput, gunicorn {label} ({tool}, {args.duration} s per URL, same run):",
            "",
            "| URL | requests/s | ratio to baseline |",
            "|---|---|---|",
        ]
        for name, rate in rates.items():
            lines.append(f"| {name} | {rate:.0f} | {rate / baseline:.2f} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--providers", type=int, default=int(os.environ.get("BENCH_PROVIDERS", 100_000))
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--keystrokes", type=int, default=2000, help="type-ahead requests timed")
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_SECONDS", 20)))
    parser.add_argument("--output", type=Path, default=BASE_DIR / "docs" / "performance.md")
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    args = parser.parse_args()

    configure(args)
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        parser.error("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    seeded = prepare(args.providers, args.seed)
    call_command("collectstatic", interactive=False, verbosity=0)
    latencies = latency(args.searches, args.seed)
    wall, cpu = typeahead_latency(args.seed, args.keystrokes)
    latencies[f"/api/places/ (type-ahead, {args.keystrokes} keystrokes)"] = wall
    latencies["/api/places/ (the same, CPU time)"] = cpu
    profiled = profile(args.seed)
    paths = bench_paths()
    runs = {"without Redis": throughput(paths, args.duration)}
    runs["with the Redis response cache"] = throughput(paths, args.duration, args.redis_url)
    section = report(args, seeded, latencies, runs, profiled)
    print(section)
    update_report(args.output, args.providers, section)


def update_report(path, providers, section):
    """Replace this provider count's section of docs/performance.md, keeping the others."""
    text = path.read_text() if path.exists() else "# Performance\n\n"
    heading = f"## {providers:,} providers"
    parts = re.split(r"(?m)^(?=## )", text)
    kept = [part for part in parts if not part.startswith(heading)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(kept).rstrip("\n") + "\n\n" + section)


if __name__ == "__main__":
    main()
