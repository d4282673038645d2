"""`make bench` writes its section for a directory size into docs/performance.md where
that size's section stands, and leaves the hand-kept text and the other sizes alone."""

import sys
from pathlib import Path

# The benchmark's scripts import each other by name, as `make bench` runs them.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from bench import update_report

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
