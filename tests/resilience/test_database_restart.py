"""PostgreSQL stopped and started under load: fast 503s, /healthz says so, and the site
comes back by itself within seconds, with the same gunicorn processes."""

import re
import time
from collections import Counter

from tests.resilience.load import Load, latency_summary

CONNECTIONS = 64
BEFORE, OUTAGE, AFTER = 5, 5, 10  # seconds
FAST = 5.0  # no request may wait longer than this during the outage
RECOVERY = 5.0  # seconds after the database accepts connections again


def is_our_503(result):
    if result.path.startswith("/api/"):
        return '"detail"' in result.detail and "unavailable" in result.detail
    return "The directory is briefly unavailable" in result.detail


def test_database_restart_under_load_answers_503_fast_and_recovers_by_itself(
    site, site_paths, postgres, figures
):
    master, workers = site.process.pid, site.workers()
    total = BEFORE + OUTAGE + AFTER + 30  # a bound; stopped explicitly below
    load = Load(site.port, site_paths, connections=CONNECTIONS, timeout=15).start(total)
    health = Load(site.port, ["/healthz"], connections=1, timeout=15).start(total)

    time.sleep(BEFORE)
    stopping = time.monotonic()
    postgres.stop(mode="fast")
    stopped = time.monotonic()
    time.sleep(OUTAGE)
    starting = time.monotonic()
    postgres.start()  # returns once it accepts connections
    back = time.monotonic()
    time.sleep(AFTER)
    results, probes = load.stop(), health.stop()

    statuses = Counter(result.status for result in results)
    during = [r for r in results if stopping <= r.started <= back]
    unavailable = [r for r in results if r.status == 503]
    # Sent once the database was down, answered 200: served after it came back.
    after_back = [r for r in results if r.started >= stopped and r.status == 200]
    first_ok = min((r.ended for r in after_back), default=float("inf")) - back
    last_503 = max((r.ended for r in unavailable), default=back) - back
    health_503 = [p for p in probes if p.status == 503]
    health_ok_after = [p for p in probes if p.started >= stopped and p.status == 200]
    figures["database restart"] = (
        f"PostgreSQL stopped in {stopped - stopping:.1f} s, down {starting - stopped:.1f} s, "
        f"accepting again {back - starting:.1f} s after start; {len(results):,} requests "
        f"({dict(statuses)}); during the outage {len(during)} requests, "
        f"{len(unavailable)} answered 503, latency max "
        f"{latency_summary(during)['max'] * 1000:.0f} ms; /healthz 503 ×{len(health_503)}"
    )
    figures["recovery after PostgreSQL accepts connections"] = (
        f"first 200 at {first_ok:+.2f} s, last 503 at {last_503:+.2f} s, "
        f"first healthy /healthz at {min(p.ended for p in health_ok_after) - back:+.2f} s"
        if health_ok_after and after_back
        else "did not recover"
    )

    # Every answer was a page: 200, or our 503 (never a 500, a hang or a dropped connection).
    assert set(statuses) <= {200, 503}, [
        (r.path, r.status, r.detail[:300]) for r in results if r.status not in {200, 503}
    ][:5]
    assert unavailable, "no request saw the outage"
    assert all(is_our_503(r) and "Traceback" not in r.detail for r in unavailable)
    assert latency_summary(during)["max"] < FAST
    # /healthz reported the outage, then health.
    assert any(stopped <= p.started <= starting for p in health_503)
    assert health_ok_after
    assert probes[-1].status == 200
    # Back by itself within seconds: nothing failed once RECOVERY seconds had passed.
    assert first_ok < RECOVERY
    assert last_503 < RECOVERY
    assert all(r.status == 200 for r in results if r.started > back + RECOVERY)
    # Without any restart of gunicorn: same master, same workers.
    assert site.process.poll() is None
    assert (site.process.pid, site.workers()) == (master, workers)

    log = site.log_path.read_text()
    assert "Traceback" not in log
    assert "Internal Server Error" not in log
    # The outage is logged once per worker, not once per request.
    outage_logs = re.findall(r" (\d+): Database unavailable, answering 503", log)
    assert 1 <= len(outage_logs) <= len(workers)
    assert len(set(outage_logs)) == len(outage_logs)
    assert set(re.findall(r" (\d+): Database is back after", log)) == set(outage_logs)
