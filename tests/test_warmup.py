"""What each gunicorn worker does before its first request (ketanet.warmup, run by
ketanet/gunicorn.conf.py: the server tests start gunicorn with it)."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

CHECK = """
import gc
import django

django.setup()
from directory.atlas import atlas
from ketanet.warmup import warm_up

warm_up()
loaded = atlas.cache_info().currsize
after = len(gc.get_objects())
print(loaded, gc.get_freeze_count() > after)
"""


def test_a_worker_loads_the_outlines_and_freezes_what_it_loaded():
    # In a process of its own: freezing this one would keep the tests' garbage.
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="ketanet.settings", DJANGO_DEBUG="1")
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    # The outlines are loaded, and most objects are out of the collector's sight.
    assert result.stdout.split() == ["1", "True"]
