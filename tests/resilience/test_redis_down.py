"""REDIS_URL set but nothing listening: the site serves uncached and says so once per worker."""

import re
import time

from tests.conftest import free_port
from tests.resilience.load import Load, latency_summary

SECONDS = 12  # longer than core.cache.RETRY_SECONDS, so Redis is retried and fails again


def test_site_serves_every_page_without_redis_and_logs_it_once_per_worker(
    start_site, site_paths, figures
):
    # A port the OS just handed out and got back: nothing listens there.
    server = start_site(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    workers = server.workers()

    results = Load(server.port, site_paths, connections=16).run(SECONDS)
    time.sleep(0.5)  # let the last log lines reach the file

    failed = [(r.path, r.status, r.detail[:300]) for r in results if r.status != 200]
    latency = latency_summary(results)
    log = server.log_path.read_text()
    warnings = re.findall(r" (\d+): Redis cache unavailable", log)
    figures["Redis down"] = (
        f"{len(results):,} requests in {SECONDS} s over 16 connections, {len(failed)} errors, "
        f"p95 {latency['p95'] * 1000:.0f} ms; 'Redis cache unavailable' logged "
        f"{len(warnings)}× by {len(workers)} workers"
    )

    assert not failed, failed[:5]
    assert len(results) > SECONDS
    # Once per worker process (each has its own connection to Redis), not per request.
    assert warnings
    assert len(warnings) == len(set(warnings))
    assert {int(pid) for pid in warnings} == workers
    assert "Traceback" not in log
