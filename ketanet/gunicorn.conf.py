"""gunicorn settings for `make serve` and production; read from the environment."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
# One worker a core and one more, not gunicorn's usual 2 x cores + 1: the pages are
# CPU-bound Python with a few short queries, so more processes only share the same
# cores, and each one draws and keeps its own copy of every profile and article it
# serves. Measured on 2 cores (docs/performance.md, issue 18): 3 workers served
# /ping, the searches and articles about as fast as 5 or faster, and the profiles
# faster, each drawn by fewer processes.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never take a host down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 5000)
max_requests_jitter = max_requests // 10
# The reverse proxy on this host sets X-Forwarded-Proto; trust only it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"
wsgi_app = "ketanet.wsgi:application"
accesslog = "-"
errorlog = "-"
loglevel = (os.environ.get("DJANGO_LOG_LEVEL") or "info").lower()
# gunicorn's control socket lives in $HOME by default: several servers on one
# host (tests, benchmarks, blue/green deploys) would fight over it.
control_socket_disable = True


def post_worker_init(worker):
    """Each worker, once Django is loaded and before its first request."""
    from ketanet.warmup import warm_up

    warm_up()
