"""Throughput for `make bench`: the production server (gunicorn, debug off) on
loopback, driven by wrk (scripts/bench_paths.lua) or a bounded Python client
through lists of paths, each gone through in turn."""

import os
import re
import runpy
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# What a browser sends: with it a page comes as it would to a patient (compressed,
# if the site compresses), and the timing includes the compressing.
ACCEPT_ENCODING = "gzip, deflate, br"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_workers():
    """How many workers start_server() starts: what ketanet/gunicorn.conf.py says here."""
    return runpy.run_path(str(BASE_DIR / "ketanet" / "gunicorn.conf.py"))["workers"]


def start_server(port, redis_url=None):
    # No recycling of workers (ketanet/gunicorn.conf.py: every 5,000 requests): a
    # new worker loads Django again, about a second of CPU, and at the baseline's
    # rate that came several times a run (measured: /ping between 688 and 1,626
    # requests/s from run to run with it, 1,389 to 1,875 without).
    env = dict(os.environ, PORT=str(port), GUNICORN_MAX_REQUESTS="0")
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


def get(url):
    request = urllib.request.Request(url, headers={"Accept-Encoding": ACCEPT_ENCODING})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def drive_wrk(base, paths, path_file, duration):
    """wrk cycling through the paths in `path_file` (scripts/bench_paths.lua)."""
    script = BASE_DIR / "scripts" / "bench_paths.lua"
    # A slow search at 1,000,000 providers under load is slow, not lost (wrk's default: 2 s).
    options = ["-t2", "-c16", f"-d{duration}s", "--timeout", "30s"]
    headers = ["-H", f"Accept-Encoding: {ACCEPT_ENCODING}"]
    output = subprocess.run(
        ["wrk", *options, *headers, "-s", script, base, "--", path_file],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{path_file}: {errors.group(1)} error responses")
    if not match:
        raise RuntimeError(f"{path_file}: no rate in wrk's output:\n{output}")
    return float(match.group(1))


def drive_python(base, paths, path_file, duration, workers=16):
    """A bounded load generator for machines without wrk: `workers` threads, keep-alive
    off, each going through the paths in turn from its own place in the list."""
    done, failed = [0], [0]
    deadline = time.monotonic() + duration

    def worker(start):
        index = start
        while time.monotonic() < deadline:
            try:
                get(base + paths[index % len(paths)])
                done[0] += 1
            except OSError:
                failed[0] += 1
            index += 1

    threads = [
        threading.Thread(target=worker, args=[n * len(paths) // workers]) for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed[0]:
        raise RuntimeError(f"{path_file}: {failed[0]} failed requests")
    return done[0] / duration


# Where a request's CPU goes while the two cores are saturated: the ratios compare
# whole-machine costs, and PostgreSQL and the load generator share the cores.
CPU_PARTS = ("gunicorn", "PostgreSQL", "Redis", "load generator")


def cpu_by_process(server_pid, database):
    """{(part, pid): CPU seconds so far} of gunicorn (master and workers), this
    database's PostgreSQL backends, a Redis server on this host and the load
    generator, read from /proc (Linux; {} elsewhere)."""
    if not Path("/proc/self/stat").exists():
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    spent = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            name = stat.with_name("cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, UnicodeDecodeError):
            continue  # gone, or not ours to read
        pid, parent = int(stat.parent.name), int(fields[1])
        times = [int(field) / tick for field in fields[11:15]]  # utime, stime, cutime, cstime
        if pid == server_pid or parent == server_pid:
            spent["gunicorn", pid] = sum(times[:2])
        elif name.startswith("postgres: ") and f" {database} " in name:
            spent["PostgreSQL", pid] = sum(times[:2])
        elif name.split(" ", 1)[0].endswith("redis-server"):
            spent["Redis", pid] = sum(times[:2])
        elif pid == os.getpid():
            # wrk, a child that has exited by now, or drive_python's threads.
            spent["load generator", pid] = sum(times)
    return spent


class CpuMeter:
    """CPU seconds of each part (CPU_PARTS) between start() and stop().

    /proc is read every SAMPLE_SECONDS in between: a process that exits meanwhile
    (a PostgreSQL backend closed after CONN_MAX_AGE, a recycled worker) counts up
    to its last reading instead of vanishing from the sum, and a new one from zero.
    """

    SAMPLE_SECONDS = 0.5

    def __init__(self, server_pid, database):
        self.server_pid, self.database = server_pid, database
        self.first, self.last = {}, {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.sample_until_stopped, daemon=True)

    def read(self):
        started = bool(self.last)
        for key, seconds in cpu_by_process(self.server_pid, self.database).items():
            self.first.setdefault(key, 0.0 if started else seconds)
            self.last[key] = seconds

    def sample_until_stopped(self):
        while not self.stopped.wait(self.SAMPLE_SECONDS):
            self.read()

    def start(self):
        self.read()
        self.thread.start()

    def stop(self):
        """{part: CPU seconds spent since start()}."""
        self.stopped.set()
        self.thread.join()
        self.read()
        spent = dict.fromkeys(CPU_PARTS, 0.0)
        for (part, pid), seconds in self.last.items():
            spent[part] += seconds - self.first[part, pid]
        return spent


def throughput(runs, duration, redis_url=None):
    """Requests/s of gunicorn for each (name, list of paths) of `runs`, in order, each
    list gone through in turn; returns [(name, rate, {part: CPU ms per request})] and
    the tool that drove it."""
    drive = drive_wrk if shutil.which("wrk") else drive_python
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, redis_url)
    database = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1]
    try:
        rates = []
        with tempfile.TemporaryDirectory() as directory:
            for name, paths in runs:
                path_file = Path(directory) / f"{len(rates)}.txt"
                path_file.write_text("".join(f"{path}\n" for path in paths))
                if redis_url:
                    # Each path once, so the timed run reads them from the cache: a
                    # measure of the cache, not of how soon a list repeats.
                    with ThreadPoolExecutor(4) as pool:
                        list(pool.map(get, [base + path for path in dict.fromkeys(paths)]))
                drive(base, paths, path_file, 3)  # warm-up: every worker, every connection
                meter = CpuMeter(server.pid, database)
                meter.start()
                rate = drive(base, paths, path_file, duration)
                spent = meter.stop()
                served = rate * duration
                cpu = {part: seconds * 1000 / served for part, seconds in spent.items()}
                rates.append((name, rate, cpu))
        return rates, drive.__name__.removeprefix("drive_")
    finally:
        server.terminate()
        server.wait(timeout=30)
