"""Model fields more than one app uses."""

from django.core.validators import URLValidator
from django.db import models


class WebsiteField(models.URLField):
    """An http(s) address; a bare domain typed by an editor becomes https://."""

    default_validators = [URLValidator(schemes=["http", "https"])]

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})
