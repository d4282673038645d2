from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from articles import rendering
from core.fields import WebsiteField
from core.history import History, VersionedModel
from core.models import PublishableQuerySet, SlugManager
from directory.models import Condition

REVIEW_EVERY_DAYS = 365


def hero_image_choices():
    """The illustrations shipped in static/img/articles/ (see the README)."""
    from django.contrib.staticfiles import finders

    names = set()
    for finder in finders.get_finders():
        for path, _storage in finder.list([]):
            if path.startswith("img/articles/") and path.endswith(
                (".svg", ".png", ".jpg", ".webp")
            ):
                names.add(path)
    return [(name, name.removeprefix("img/articles/")) for name in sorted(names)]


class Person(models.Model):
    """A writer or medical reviewer, with a public bio page."""

    class Role(models.TextChoices):
        WRITER = "writer", "Writer"
        MEDICAL_REVIEWER = "medical_reviewer", "Medical reviewer"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    credentials = models.CharField(
        max_length=50, blank=True, help_text='As printed after the name, e.g. "MD" or "PharmD".'
    )
    bio = models.TextField(help_text="A short, plain-text biography shown on the bio page.")
    role = models.CharField(max_length=20, choices=Role.choices)

    objects = SlugManager()
    history = History()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self):
        return f"{self.name}, {self.credentials}" if self.credentials else self.name

    def get_absolute_url(self):
        return reverse("person-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)


class ArticleQuerySet(PublishableQuerySet):
    def published(self):
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())

    def review_due(self, today=None):
        """Articles whose medical review is more than 12 months old (or missing)."""
        cutoff = (today or timezone.localdate()) - timedelta(days=REVIEW_EVERY_DAYS)
        return self.filter(Q(last_reviewed__isnull=True) | Q(last_reviewed__lt=cutoff))


ArticleManager = SlugManager.from_queryset(ArticleQuerySet)


class Article(VersionedModel):
    """A medically reviewed education page."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.TextField(
        max_length=300, help_text="One or two sentences; also the page's description in search."
    )
    body = models.TextField(
        help_text=(
            "Markdown: ## for section headings (they make the table of contents), - for "
            "bullet lists, **bold**. Cite a reference by its number in the list below: "
            "[cite:3] for one, [cite:7,8] for several at once."
        )
    )
    hero_image = models.CharField(
        max_length=200,
        blank=True,
        help_text="An illustration from the site's library (static/img/articles/).",
    )
    hero_alt = models.CharField(
        "hero image alt text",
        max_length=300,
        blank=True,
        help_text="What the illustration shows, for people who cannot see it (required with one).",
    )
    author = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="articles_written", null=True, blank=True
    )
    reviewer = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="articles_reviewed",
        null=True,
        blank=True,
        verbose_name="medical reviewer",
        limit_choices_to={"role": Person.Role.MEDICAL_REVIEWER},
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=(
            "Published only with an author, a medical reviewer, a review date and at least "
            "one citation, and with every [cite:N] pointing at a citation."
        ),
    )
    published_at = models.DateTimeField(null=True, blank=True)
    revised_on = models.DateField(
        null=True,
        blank=True,
        help_text="Date of the latest editorial revision, shown to readers as “Updated”.",
    )
    last_reviewed = models.DateField(
        null=True, blank=True, help_text="Date of the medical review; re-review every 12 months."
    )
    conditions = models.ManyToManyField(Condition, blank=True, related_name="articles")
    related = models.ManyToManyField("self", blank=True)
    body_html = models.TextField(editable=False, default="")
    toc = models.JSONField(editable=False, default=list)
    backlinks = models.JSONField(editable=False, default=dict)
    modified = models.DateTimeField(auto_now=True)

    objects = ArticleManager()
    # The rendered HTML, contents and back-links follow from the body; `modified`
    # and `version` change on every save.
    history = History(
        m2m_fields=["conditions", "related"],
        excluded_fields=["body_html", "toc", "backlinks", "modified", "version"],
    )

    class Meta:
        ordering = ["-published_at", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="article_status_valid"
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.render()
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("article-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    def render(self):
        """Turn the Markdown body into the stored HTML, contents list and back-links."""
        rendered = rendering.render(self.body)
        self.body_html, self.backlinks = rendered.html, rendered.backlinks
        self.toc = [list(entry) for entry in rendered.toc]

    def clean(self):
        errors = {}
        if self.hero_image and not self.hero_alt.strip():
            errors["hero_alt"] = "Describe the image for people who cannot see it."
        if self.status == self.Status.PUBLISHED:
            errors.update(self.publishing_errors())
            # The admin checks citations with the ones on the form (CitationFormSet).
            if not getattr(self, "citations_checked_by_form", False):
                positions = self.citations.values_list("position", flat=True) if self.pk else []
                errors.update(self.citation_errors(positions))
        if errors:
            raise ValidationError(errors)

    def publishing_errors(self):
        errors = {}
        if self.author_id is None:
            errors["author"] = "An article is published only with an author."
        if self.reviewer_id is None:
            errors["reviewer"] = "An article is published only with a medical reviewer."
        if self.last_reviewed is None:
            errors["last_reviewed"] = "An article is published only with a medical review date."
        return errors

    def citation_errors(self, positions):
        """Errors for publishing with citations at `positions`, keyed by field."""
        positions = set(positions)
        errors = []
        if not positions:
            errors.append("An article is published only with at least one citation.")
        errors += rendering.marker_errors(self.body, positions)
        return {"body": errors} if errors else {}

    @property
    def review_due(self):
        cutoff = timezone.localdate() - timedelta(days=REVIEW_EVERY_DAYS)
        return self.last_reviewed is None or self.last_reviewed < cutoff


class CitationManager(models.Manager):
    def get_by_natural_key(self, article_slug, position):
        return self.get(article__slug=article_slug, position=position)


class Citation(models.Model):
    """One numbered reference of an article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="citations")
    position = models.PositiveSmallIntegerField(
        help_text="Its number in the article: [cite:1] points at position 1."
    )
    text = models.TextField(help_text="The formatted reference, as readers will see it.")
    url = WebsiteField("URL", max_length=500, blank=True)
    doi = models.CharField(
        "DOI", max_length=200, blank=True, help_text="e.g. 10.15585/mmwr.mm6736a2"
    )
    pmid = models.CharField("PubMed ID", max_length=20, blank=True)

    objects = CitationManager()
    history = History()

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "position"], name="citation_position_unique"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="citation_position_positive"),
        ]

    def __str__(self):
        return f"[{self.position}] {self.text[:60]}"

    def natural_key(self):
        return (*self.article.natural_key(), self.position)

    natural_key.dependencies = ["articles.article"]  # type: ignore[attr-defined]

    def clean(self):
        if self.pmid and not self.pmid.isdigit():
            raise ValidationError({"pmid": "A PubMed ID is digits only."})
        self.doi = self.doi.removeprefix("https://doi.org/").removeprefix("doi:").strip()
