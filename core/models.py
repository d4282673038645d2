"""Managers and QuerySets more than one app uses (no models of its own)."""

from typing import Self

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db import models


class SlugManager(models.Manager):
    """Look rows up by slug, so fixtures stay stable across databases."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class PublishableQuerySet(models.QuerySet):
    """Rows the public sees through published(); editors may open the rest."""

    def published(self) -> Self:
        raise NotImplementedError

    def visible_to(self, user: AbstractUser | AnonymousUser) -> Self:
        """What `user` may open: the public sees published rows, editors see all."""
        opts = self.model._meta
        permission = f"{opts.app_label}.view_{opts.model_name}"
        if user.is_active and user.is_staff and user.has_perm(permission):
            return self
        return self.published()
