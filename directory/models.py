from django.db import models


class SlugManager(models.Manager):
    """Look rows up by slug, so fixtures stay stable across databases."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Condition(models.Model):
    """A condition that ketamine treatment is offered for (chronic pain, PTSD …)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(
        blank=True, help_text="One or two plain-language sentences shown to patients."
    )

    objects = SlugManager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)
