"""A bounded load generator and a memory sampler for a gunicorn server on loopback.

Each of N threads keeps one HTTP/1.1 connection (reopened when the server
closes it, as gunicorn's sync workers do after every response) and sends GETs
from a list of paths until told to stop or its time is up. Every request is
recorded: when it started, how long it took, its status and, for anything but
a 200, the start of its body.
"""

import contextlib
import http.client
import random
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    path: str
    started: float  # time.monotonic()
    seconds: float
    status: int | None  # None: the connection failed
    detail: str = ""  # the error, or the start of a non-200 body

    @property
    def ended(self):
        return self.started + self.seconds


class Load:
    def __init__(self, port, paths, connections=64, timeout=30, seed=1):
        self.port, self.paths, self.timeout = port, list(paths), timeout
        self.connections, self.seed = connections, seed
        self.results = []
        self._stop = threading.Event()
        self._threads = []

    def start(self, seconds):
        """Send requests from `connections` threads for at most `seconds`."""
        self.started = time.monotonic()
        deadline = self.started + seconds
        per_thread = [[] for _ in range(self.connections)]
        for number, results in enumerate(per_thread):
            thread = threading.Thread(
                target=self._drive, args=(number, deadline, results), daemon=True
            )
            thread.start()
            self._threads.append(thread)
        self._per_thread = per_thread
        return self

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)
        self.stopped = time.monotonic()
        self.results = sorted(
            (result for results in self._per_thread for result in results),
            key=lambda result: result.started,
        )
        return self.results

    def run(self, seconds):
        self.start(seconds)
        time.sleep(seconds)
        return self.stop()

    def _drive(self, number, deadline, results):
        rng = random.Random(self.seed * 1000 + number)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        while not self._stop.is_set() and time.monotonic() < deadline:
            path = rng.choice(self.paths)
            started = time.monotonic()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as error:
                results.append(Result(path, started, time.monotonic() - started, None, repr(error)))
                conn.close()
                continue
            seconds = time.monotonic() - started
            detail = "" if response.status == 200 else body[:2000].decode(errors="replace")
            results.append(Result(path, started, seconds, response.status, detail))
        conn.close()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def latency_summary(results):
    seconds = [result.seconds for result in results]
    return {
        "p50": statistics.median(seconds) if seconds else 0.0,
        "p95": percentile(seconds, 0.95),
        "max": max(seconds, default=0.0),
    }


# --- Memory of gunicorn's workers, from /proc (psutil is not a dependency) -------------


def children(pid):
    """Process ids whose parent is `pid`."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found.update(int(child) for child in (task / "children").read_text().split())
        except FileNotFoundError:  # a kernel without the children file
            return _children_by_scanning(pid)
    return found


def _children_by_scanning(pid):
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (field 2) is in parentheses and may hold spaces.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


class MemorySampler:
    """Sample every worker's resident memory once a second in a background thread."""

    def __init__(self, pids, interval=1.0):
        self.pids, self.interval = set(pids), interval
        self.samples = []  # (monotonic time, {pid: KiB})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(timeout=5)

    def _sample(self):
        while True:
            sizes = {}
            for pid in self.pids:
                # A worker that is gone has no sample; the test's pid check reports it.
                with contextlib.suppress(FileNotFoundError):
                    sizes[pid] = rss_kib(pid)
            self.samples.append((time.monotonic(), sizes))
            if self._stop.wait(self.interval):
                return

    def mean_between(self, pid, start, end):
        values = [sizes[pid] for at, sizes in self.samples if start <= at <= end and pid in sizes]
        assert values, f"no memory samples between {start} and {end}"
        return statistics.fmean(values)
