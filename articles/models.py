from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Self

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Greatest, Lower, Replace, StrIndex, Substr
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from articles import checks, rendering
from core.fields import WebsiteField
from core.history import History, VersionedModel
from core.i18n import in_language
from core.models import PublishableQuerySet, SlugManager
from directory.models import Condition

REVIEW_EVERY_DAYS = 365
# Marks around the searched words in a search result's headline (see highlight_search).
HIGHLIGHT = ("\u27e6", "\u27e7")
HEADLINE_LT = "\ue000"  # a private-use character: "<" inside PostgreSQL's headline


def lines(text: str) -> list[str]:
    """The non-blank lines of `text`, stripped (key points, a term's other names)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


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
        # Shown to patients on the bio page.
        WRITER = "writer", gettext_lazy("Writer")
        MEDICAL_REVIEWER = "medical_reviewer", gettext_lazy("Medical reviewer")
        TRANSLATOR = "translator", gettext_lazy("Translator")

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    credentials = models.CharField(
        max_length=50, blank=True, help_text='As printed after the name, e.g. "MD" or "PharmD".'
    )
    bio = models.TextField(help_text="A short, plain-text biography shown on the bio page.")
    bio_es = models.TextField("biography in Spanish", blank=True)
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

    @property
    def local_bio(self) -> str:
        return in_language(self.bio, self.bio_es)


class TextQuerySet(PublishableQuerySet):
    """Articles' and translations' queries: review dates and the text search."""

    # PostgreSQL's text search configuration for the texts' language.
    search_config = "english"

    def review_due(self, today=None):
        """Texts whose next medical review date has passed (or that have none)."""
        today = today or timezone.localdate()
        return self.filter(Q(next_review__isnull=True) | Q(next_review__lt=today))

    def search(self, words: str) -> Self:
        """Articles matching `words` in title, summary or text, best first, each with a
        `headline`: a passage of the text around the words, HIGHLIGHT-delimited.

        PostgreSQL ranks with full-text search (stemmed: "treatments" finds
        "treatment"); SQLite, the embedded default, matches every word as typed.
        """
        if connection.vendor == "postgresql":
            return self._search_postgres(words)
        return self._search_simple(words)

    def _search_postgres(self, words):
        from django.contrib.postgres.search import (
            SearchHeadline,
            SearchQuery,
            SearchRank,
            SearchVector,
        )

        config = self.search_config
        query = SearchQuery(words, search_type="websearch", config=config)
        vector = (
            SearchVector("title", weight="A", config=config)
            + SearchVector("summary", weight="B", config=config)
            + SearchVector("body_text", weight="C", config=config)
        )
        # ts_headline reads its text as HTML and drops anything shaped like a tag, so "<"
        # goes in as a character no text has and comes back in highlight_search.
        headline = SearchHeadline(
            Replace("body_text", Value("<"), Value(HEADLINE_LT)),
            query,
            config=config,
            start_sel=HIGHLIGHT[0],
            stop_sel=HIGHLIGHT[1],
            max_words=30,
            min_words=15,
        )
        return (
            self.annotate(document=vector)
            .filter(document=query)
            .annotate(rank=SearchRank(vector, query), headline=headline)
            .order_by("-rank", "title")
        )

    def _search_simple(self, words):
        terms = words.split()
        if not terms:
            return self.none()
        matches = Q()
        for term in terms:
            matches &= (
                Q(title__icontains=term) | Q(summary__icontains=term) | Q(body_text__icontains=term)
            )
        # Words in the title count most, then the summary, as PostgreSQL's weights do.
        rank = sum(
            (
                Case(When(title__icontains=term, then=3), default=0)
                + Case(When(summary__icontains=term, then=2), default=0)
                for term in terms
            ),
            Value(0),
        )
        start = StrIndex(Lower("body_text"), Value(terms[0].lower()))
        headline = Substr("body_text", Greatest(start - 80, 1), 220)
        return (
            self.filter(matches).annotate(rank=rank, headline=headline).order_by("-rank", "title")
        )


class ArticleQuerySet(TextQuerySet):
    def published(self):
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())


ArticleManager = SlugManager.from_queryset(ArticleQuerySet)


class ReviewedText(VersionedModel):
    """What an article and each of its translations have alike: a text with its own
    medical review, references and publishing rules."""

    # The language of the text (its checks, its glossary links); set by subclasses.
    text_language = "en"
    # Each subclass's numbered references: the reverse manager of Citation or
    # TranslationCitation.
    citations: Any

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    summary = models.TextField(
        max_length=300, help_text="One or two sentences; also the page's description in search."
    )
    key_points = models.TextField(
        blank=True,
        help_text="Three to five short points shown at the top, one per line.",
    )
    body = models.TextField(
        help_text=(
            "Markdown: ## for section headings (they make the table of contents), - for "
            "bullet lists, **bold**. Cite a reference by its number in the list below: "
            "[cite:3] for one, [cite:7,8] for several at once."
        )
    )
    hero_alt = models.CharField(
        "hero image alt text",
        max_length=300,
        blank=True,
        help_text="What the illustration shows, for people who cannot see it (required with one).",
    )
    reviewer = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="%(class)ss_reviewed",
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
    next_review = models.DateField(
        "next review due",
        null=True,
        blank=True,
        help_text=(
            "At most 12 months after the last review; sooner when the facts are likely to "
            "change. Left blank, it is set to 12 months after the last review."
        ),
    )
    body_html = models.TextField(editable=False, default="")
    body_text = models.TextField(editable=False, default="")
    toc = models.JSONField(editable=False, default=list)
    backlinks = models.JSONField(editable=False, default=dict)
    modified = models.DateTimeField(auto_now=True)

    # The rendered HTML, contents and back-links follow from the body; `modified`
    # and `version` change on every save.
    HISTORY_EXCLUDED = ["body_html", "body_text", "toc", "backlinks", "modified", "version"]

    class Meta:
        abstract = True
        ordering = ["-published_at", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        raise NotImplementedError

    def save(self, *args, **kwargs):
        self.render()
        if self.next_review is None and self.last_reviewed is not None:
            self.next_review = self.last_reviewed + timedelta(days=REVIEW_EVERY_DAYS)
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        super().save(*args, **kwargs)

    def render(self, glossary=None):
        """Turn the Markdown body into the stored HTML, contents list and back-links.

        `glossary` is GlossaryTerm.objects.link_targets(language), read here unless
        the caller renders many texts and passes it once.
        """
        if glossary is None:
            glossary = GlossaryTerm.objects.link_targets(self.text_language)
        # Stored HTML: its links and labels in the text's language, whatever the request's.
        with translation.override(self.text_language):
            rendered = rendering.render(self.body, glossary, reverse("glossary"))
        self.body_html, self.backlinks = rendered.html, rendered.backlinks
        self.body_text = rendered.text
        self.toc = [list(entry) for entry in rendered.toc]

    def clean(self):
        errors: dict[str, list[str]] = defaultdict(list)
        # An article's field, its translations' property (the article's illustration).
        if getattr(self, "hero_image", "") and not self.hero_alt.strip():
            errors["hero_alt"].append("Describe the image for people who cannot see it.")
        if self.last_reviewed and self.next_review:
            if self.next_review <= self.last_reviewed:
                errors["next_review"].append("The next review comes after the last one.")
            elif self.next_review > self.last_reviewed + timedelta(days=REVIEW_EVERY_DAYS):
                errors["next_review"].append("Articles are reviewed at least every 12 months.")
        if self.status == self.Status.PUBLISHED:
            for field, message in self.publishing_errors().items():
                errors[field].append(message)
            # The admin checks citations with the ones on the form (CitationFormSet).
            form_checks_citations = getattr(self, "citations_checked_by_form", False)
            citations = [] if form_checks_citations or not self.pk else list(self.citations.all())
            if not form_checks_citations:
                for field, messages in self.citation_errors(c.position for c in citations).items():
                    errors[field] += messages
            _reading, findings = self.check_content(citations)
            for finding in findings:
                if finding.level == "error":
                    errors["body" if finding.field == "citations" else finding.field].append(
                        finding.message
                    )
        if errors:
            raise ValidationError(dict(errors))

    def check_content(self, citations=None, today=None):
        """The editorial checks (articles/checks.py) of this text as it stands.

        `citations` defaults to the saved ones; pass the ones on a form to check those.
        """
        if citations is None:
            citations = list(self.citations.all()) if self.pk else []
        content = checks.Content(
            title=self.title,
            summary=self.summary,
            key_points=self.key_points,
            body=self.body,
            citations=citations,
            last_reviewed=self.last_reviewed,
            next_review=self.next_review,
            language=self.text_language,
        )
        return checks.check(content, today or timezone.localdate())

    def publishing_errors(self) -> dict[str, str]:
        errors = {}
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
        return self.next_review is None or self.next_review < timezone.localdate()

    @property
    def key_point_list(self) -> list[str]:
        return lines(self.key_points)

    @property
    def other_language(self) -> bool:
        """Whether this text is in another language than the page (an English article
        listed on a Spanish page, marked as English there)."""
        return self.text_language != translation.get_language()


class Article(ReviewedText):
    """A medically reviewed education page (in English; see ArticleTranslation)."""

    class Kind(models.TextChoices):
        CONDITION = "condition", gettext_lazy("About a condition")
        GUIDE = "guide", gettext_lazy("A guide to a decision")

    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.GUIDE,
        help_text="The article index lists condition articles and guides apart.",
    )
    hero_image = models.CharField(
        max_length=200,
        blank=True,
        help_text="An illustration from the site's library (static/img/articles/).",
    )
    author = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="articles_written", null=True, blank=True
    )
    conditions = models.ManyToManyField(Condition, blank=True, related_name="articles")
    related = models.ManyToManyField("self", blank=True)

    objects = ArticleManager()
    history = History(
        m2m_fields=["conditions", "related"], excluded_fields=ReviewedText.HISTORY_EXCLUDED
    )

    class Meta(ReviewedText.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="article_status_valid"
            ),
        ]

    def get_absolute_url(self):
        return reverse("article-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    def publishing_errors(self) -> dict[str, str]:
        errors = {}
        if self.author_id is None:
            errors["author"] = "An article is published only with an author."
        return errors | super().publishing_errors()

    @property
    def condition_names(self) -> str:
        """Its conditions' names in the page's language, from the prefetched conditions:
        "Depression, PTSD"."""
        return ", ".join(sorted(condition.local_name for condition in self.conditions.all()))

    @property
    def about_mental_health(self) -> bool:
        """Whether the page shows the crisis box (uses the prefetched conditions)."""
        return any(condition.mental_health for condition in self.conditions.all())


class ArticleTranslationQuerySet(TextQuerySet):
    search_config = "spanish"

    def get_by_natural_key(self, article_slug, language):
        return self.get(article__slug=article_slug, language=language)

    def published(self):
        """Published translations of published articles."""
        now = timezone.now()
        return self.filter(
            status=ArticleTranslation.Status.PUBLISHED,
            published_at__lte=now,
            article__status=Article.Status.PUBLISHED,
            article__published_at__lte=now,
        )


class ArticleTranslation(ReviewedText):
    """An article in another language: its own record, with its own translator, medical
    review and references, published under the same rules as the original."""

    text_language = "es"

    class Language(models.TextChoices):
        SPANISH = "es", "Spanish"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.SPANISH)
    translator = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="translations_made",
        null=True,
        blank=True,
    )

    objects = ArticleTranslationQuerySet.as_manager()
    history = History(excluded_fields=ReviewedText.HISTORY_EXCLUDED)

    class Meta(ReviewedText.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="article_translation_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]),
                name="article_translation_status_valid",
            ),
        ]

    def get_absolute_url(self):
        with translation.override(self.language):
            return reverse("article-detail", args=[self.article.slug])

    def natural_key(self):
        return (*self.article.natural_key(), self.language)

    natural_key.dependencies = ["articles.article"]  # type: ignore[attr-defined]

    @property
    def hero_image(self) -> str:
        return self.article.hero_image

    @property
    def slug(self) -> str:
        """The article's: a translation lives at the same address under /es/."""
        return self.article.slug

    def publishing_errors(self) -> dict[str, str]:
        errors = {}
        if self.translator_id is None:
            errors["translator"] = "A translation is published only with its translator."
        return errors | super().publishing_errors()

    @property
    def original_updated_since_review(self) -> date | None:
        """The date the English article was updated, if after this translation's review:
        the Spanish page says so, so a stale translation never passes as current."""
        updated = self.article.revised_on
        if updated and self.last_reviewed and updated > self.last_reviewed:
            return updated
        return None


def in_page_language(articles: Iterable[Article]) -> list[ReviewedText]:
    """Each article in the page's language: its published translation where there is
    one, else the article itself (which then says it is in English)."""
    articles = list(articles)
    language = translation.get_language()
    if language == "en" or not articles:
        return list(articles)
    by_id = {article.pk: article for article in articles}
    translations = (
        ArticleTranslation.objects.published()
        .filter(language=language, article__in=articles)
        .select_related("reviewer")
    )
    found = {}
    for text in translations:
        text.article = by_id[text.article_id]  # no query for its address
        found[text.article_id] = text
    return [found.get(article.pk, article) for article in articles]


class Reference(models.Model):
    """One numbered reference of a text."""

    position = models.PositiveSmallIntegerField(
        help_text="Its number in the article: [cite:1] points at position 1."
    )
    text = models.TextField(help_text="The formatted reference, as readers will see it.")
    url = WebsiteField("URL", max_length=500, blank=True)
    doi = models.CharField(
        "DOI", max_length=200, blank=True, help_text="e.g. 10.15585/mmwr.mm6736a2"
    )
    pmid = models.CharField("PubMed ID", max_length=20, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"[{self.position}] {self.text[:60]}"

    def clean(self):
        if self.pmid and not self.pmid.isdigit():
            raise ValidationError({"pmid": "A PubMed ID is digits only."})
        self.doi = self.doi.removeprefix("https://doi.org/").removeprefix("doi:").strip()


class CitationManager(models.Manager):
    def get_by_natural_key(self, article_slug, position):
        return self.get(article__slug=article_slug, position=position)


class Citation(Reference):
    """One numbered reference of an article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="citations")

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

    def natural_key(self):
        return (*self.article.natural_key(), self.position)

    natural_key.dependencies = ["articles.article"]  # type: ignore[attr-defined]


class TranslationCitationManager(models.Manager):
    def get_by_natural_key(self, article_slug, language, position):
        return self.get(
            translation__article__slug=article_slug,
            translation__language=language,
            position=position,
        )


class TranslationCitation(Reference):
    """One numbered reference of a translation: its own list, often the original's
    sources, which stay in the language they were written in."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="citations"
    )
    in_english = models.BooleanField(
        default=True, help_text="Labelled for readers as a source in English."
    )

    objects = TranslationCitationManager()
    history = History()

    class Meta:
        ordering = ["translation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["translation", "position"], name="translation_citation_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="translation_citation_position_positive"
            ),
        ]

    def natural_key(self):
        return (*self.translation.natural_key(), self.position)

    natural_key.dependencies = ["articles.articletranslation"]  # type: ignore[attr-defined]


class Correction(models.Model):
    """A public record of a change readers should know about: a mistake put right, or a
    revision that changed what the article says or how (shown at its end)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    date = models.DateField(default=date.today)
    change = models.TextField("what changed", max_length=500)
    reason = models.TextField("why", max_length=500)

    history = History()

    class Meta:
        ordering = ["article", "-date", "-pk"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d}: {self.change[:60]}"


class GlossaryTermQuerySet(models.QuerySet["GlossaryTerm"]):
    def link_targets(self, language: str = "en") -> list[tuple[str, list[str]]]:
        """(slug, every phrase that names the term) for linking texts in `language` to
        the glossary (Spanish texts to the terms that have Spanish names)."""
        if language == "es":
            return [
                (term.slug, [term.term_es, *lines(term.also_matches_es)])
                for term in self.exclude(term_es="").only("slug", "term_es", "also_matches_es")
            ]
        return [
            (term.slug, [term.term, *term.alias_list])
            for term in self.only("slug", "term", "also_matches")
        ]


GlossaryTermManager = SlugManager.from_queryset(GlossaryTermQuerySet)


class GlossaryTerm(models.Model):
    """A plain-language definition on /glossary/; articles link a term's first use to it."""

    term = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, help_text="The anchor: /glossary/#slug.")
    definition = models.TextField(help_text="One to three plain sentences.")
    also_matches = models.TextField(
        blank=True,
        help_text="Other words that name it in articles (plurals, abbreviations), one per line.",
    )
    # The Spanish glossary (/es/glossary/) and the links from Spanish translations.
    term_es = models.CharField("term in Spanish", max_length=100, blank=True)
    definition_es = models.TextField("definition in Spanish", blank=True)
    also_matches_es = models.TextField(
        "also matches in Spanish",
        blank=True,
        help_text="Other words that name it in Spanish translations, one per line.",
    )

    objects = GlossaryTermManager()
    history = History()

    class Meta:
        ordering = ["term"]

    def __str__(self):
        return self.term

    def get_absolute_url(self):
        return reverse("glossary") + f"#{self.slug}"

    def natural_key(self):
        return (self.slug,)

    @property
    def alias_list(self) -> list[str]:
        return lines(self.also_matches)

    @property
    def local_term(self) -> str:
        return in_language(self.term, self.term_es)

    @property
    def local_definition(self) -> str:
        return in_language(self.definition, self.definition_es)
