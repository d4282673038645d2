"""64 visitors at once for a minute: no errors, and the workers' memory stays flat."""

import os
from collections import Counter

from tests.resilience.load import Load, MemorySampler, latency_summary

LOAD_SECONDS = int(os.environ.get("RESILIENCE_LOAD_SECONDS") or 60)
CONNECTIONS = 64
WINDOW = 10  # seconds at each end of the run whose memory is compared
MAX_GROWTH = 0.10


def kind(path):
    return path.split("/")[1]  # clinics, api, providers, articles


def test_64_connections_for_a_minute_get_no_errors_and_memory_stays_flat(site, site_paths, figures):
    workers = site.workers()

    with MemorySampler(workers) as memory:
        load = Load(site.port, site_paths, connections=CONNECTIONS)
        results = load.run(LOAD_SECONDS)

    errors = [result for result in results if result.status != 200]
    latency = latency_summary(results)
    figures["load"] = (
        f"{len(results):,} requests in {LOAD_SECONDS} s over {CONNECTIONS} connections "
        f"({len(results) / LOAD_SECONDS:.0f}/s; "
        + ", ".join(f"{k} {n}" for k, n in sorted(Counter(kind(r.path) for r in results).items()))
        + f"), {len(errors)} errors, latency p50 {latency['p50'] * 1000:.0f} ms, "
        f"p95 {latency['p95'] * 1000:.0f} ms, max {latency['max'] * 1000:.0f} ms"
    )
    growth = {}
    for pid in sorted(workers):
        first = memory.mean_between(pid, load.started, load.started + WINDOW)
        last = memory.mean_between(pid, load.stopped - WINDOW, load.stopped)
        growth[pid] = (first, last, last / first - 1)
    figures["worker memory (first → last 10 s)"] = "; ".join(
        f"{first / 1024:.1f} → {last / 1024:.1f} MiB ({change:+.1%})"
        for first, last, change in growth.values()
    )

    assert not errors, [(r.path, r.status, r.detail[:300]) for r in errors[:5]]
    assert len(results) > LOAD_SECONDS  # the server answered throughout, not just at first
    assert site.workers() == workers, "a worker was replaced during the run"
    for pid, (first, last, change) in growth.items():
        assert change < MAX_GROWTH, f"worker {pid} grew {first:.0f} → {last:.0f} KiB"
