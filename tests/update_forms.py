"""Post the practice update form as a browser would: what the page shows, changed here and there."""

import time

from django.urls import reverse

from core.public_forms import form_token
from tests.admin_forms import form_data

WHO = {"your_name": "Dana Reyes", "your_role": "Office manager"}


def update_url(provider):
    return reverse("provider-update", args=[provider.slug])


def update_data(client, provider, **changes):
    """The form as the page fills it, started 10 s ago, with `changes` typed over it."""
    data = form_data(client.get(update_url(provider)), "update-form")
    data["started"] = form_token("update", issued_at=time.time() - 10)
    return {**data, **WHO, **changes}


def post_update(client, provider, data, **extra):
    return client.post(update_url(provider), data, **extra)
