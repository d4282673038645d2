"""Settings for the test suite: production settings plus what plain-HTTP tests need.

The environment decides everything else (DATABASE_URL picks SQLite or PostgreSQL),
exactly as in production; only values a test run cannot do without get defaults.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-secret")
# The test client speaks plain HTTP; HTTPS behaviour is tested explicitly.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from ketanet.settings import *  # noqa: F403

# The manifest exists only after collectstatic; the production storage is
# exercised against a real gunicorn in tests/test_server.py.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast user fixtures
# Serve static files from the app folders, as in development, without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The live server answers each request in a new thread; a connection kept open
# there would outlive the test database (PostgreSQL refuses to drop it).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
