"""`make bench` writes its section for a directory size into docs/performance.md where
that size's section stands, and leaves the hand-kept text and the other sizes alone."""

import sys
from argparse import Namespace
from pathlib import Path

# The benchmark's scripts import each other by name, as `make bench` runs them.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from bench import (
    BASELINE,
    RATIO_TARGETS,
    SEARCHED_AGAIN,
    TYPEAHEAD,
    Rate,
    Timed,
    targets,
    update_report,
)

REPORT = """# Performance

Kept by hand.

## 1,000,000 providers — 2026-12-04, 2 cores

old million

## Issue 7: where things stood

by hand, between the sizes

## 100,000 providers — 2026-12-04, 2 cores

old hundred thousand
"""


def test_a_size_is_replaced_where_it_stands(tmp_path):
    path = tmp_path / "performance.md"
    path.write_text(REPORT)

    update_report(path, 1_000_000, "## 1,000,000 providers — 2026-12-05, 2 cores\n\nnew million\n")

    assert path.read_text() == REPORT.replace(
        "2026-12-04, 2 cores\n\nold million", "2026-12-05, 2 cores\n\nnew million"
    )


def test_a_new_size_goes_at_the_end(tmp_path):
    path = tmp_path / "performance.md"
    path.write_text(REPORT)

    update_report(path, 5_000, "## 5,000 providers — 2026-12-05, 2 cores\n\nsmall\n")

    assert path.read_text() == REPORT + "\n## 5,000 providers — 2026-12-05, 2 cores\n\nsmall\n"


def test_a_missing_report_is_started(tmp_path):
    path = tmp_path / "docs" / "performance.md"

    update_report(path, 100_000, "## 100,000 providers — 2026-12-05, 2 cores\n\nfirst\n")

    assert path.read_text() == (
        "# Performance\n\n## 100,000 providers — 2026-12-05, 2 cores\n\nfirst\n"
    )


def timed(p95):
    return Timed(p50=p95 / 2, p95=p95, worst=p95, cpu_p50=1.0, cpu_p95=2.0, queries=4)


def p95_row(first, again):
    rates = {BASELINE: Rate(1000, 1000, {}), **{kind: Rate(10, 1000, {}) for kind in RATIO_TARGETS}}
    runs = {
        "without Redis": (rates, [1000], "wrk"),
        "with the Redis response cache": (rates, [1000], "wrk"),
    }
    latencies = {"HTML search": timed(first), SEARCHED_AGAIN: timed(again), TYPEAHEAD: timed(1)}
    rows = targets(Namespace(providers=1_000_000), None, latencies, runs)
    [row] = [row for row in rows if row[0].startswith("HTML search p95")]
    return row


def test_the_p95_shows_both_passes_and_is_judged_on_the_second():
    # The first pass reads the database into memory; a busy site's searches find it there.
    assert p95_row(first=78.4, again=38.0)[1:] == ("≤ 40 ms", "78.4 ms; 38.0 ms", "met")
    assert p95_row(first=30.0, again=44.7)[1:] == ("≤ 40 ms", "30.0 ms; 44.7 ms", "**not met**")
