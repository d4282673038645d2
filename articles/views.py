from dataclasses import dataclass

import django_filters
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language, gettext_lazy, override
from django.views.decorators.http import require_safe

from articles.models import (
    Article,
    ArticleTranslation,
    GlossaryTerm,
    Person,
    ReviewedText,
    in_page_language,
)
from core.cache import cache_anonymous, kept_for_readers, private_page, public_page
from core.models import ContentVersion
from directory.filters import condition_choices

SEARCH_MAX_LENGTH = 100


class ArticleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", max_length=SEARCH_MAX_LENGTH, label=gettext_lazy("Search the articles")
    )
    condition = django_filters.ChoiceFilter(
        choices=condition_choices,
        field_name="conditions__slug",
        empty_label=gettext_lazy("All conditions"),
    )

    class Meta:
        model = Article
        fields = ["q", "condition"]

    def search(self, queryset, name, value):
        return queryset.search(value) if value.strip() else queryset


@dataclass(frozen=True)
class ArticleCard:
    """An article in a list: what the reader reads of it (`text`: the article, or its
    translation), or the English article marked as such when it has none."""

    article: Article
    text: ReviewedText
    english_only: bool = False


class SpanishArticleFilter(ArticleFilter):
    """The Spanish index searches the Spanish translations' own words."""

    class Meta:
        model = ArticleTranslation
        fields = ["q", "condition"]

    condition = django_filters.ChoiceFilter(
        choices=condition_choices,
        field_name="article__conditions__slug",
        empty_label=gettext_lazy("All conditions"),
    )


def article_cards(request) -> tuple[ArticleFilter, list[ArticleCard]]:
    """The index's filter and the articles it finds, in the page's language."""
    articles = Article.objects.published().select_related("reviewer").prefetch_related("conditions")
    if get_language() == "en":
        filterset = ArticleFilter(request.GET or None, queryset=articles)
        if filterset.is_bound and not filterset.is_valid():
            return filterset, []
        return filterset, [ArticleCard(article, article) for article in filterset.qs]
    translations = ArticleTranslation.objects.published().select_related("reviewer")
    filterset = SpanishArticleFilter(request.GET or None, queryset=translations)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, []
    found = {t.article_id: t for t in filterset.qs}
    if filterset.is_bound and filterset.form.cleaned_data["q"].strip():
        by_id = articles.in_bulk(found)
        return filterset, [ArticleCard(by_id[pk], text) for pk, text in found.items()]
    if filterset.is_bound and filterset.form.cleaned_data["condition"]:
        articles = articles.filter(conditions__slug=filterset.form.cleaned_data["condition"])
    return filterset, [
        ArticleCard(a, found.get(a.pk, a), english_only=a.pk not in found) for a in articles
    ]


@require_safe
@cache_anonymous
def article_index(request):
    filterset, found = article_cards(request)
    valid = not filterset.is_bound or filterset.is_valid()
    searched = filterset.is_bound and valid and bool(filterset.form.cleaned_data["q"].strip())
    context = {
        "filterset": filterset,
        "searched": searched,
        "articles": found,
        # Without a search, the articles about each condition come first, then the guides
        # (on the Spanish index, the translated ones first).
        "by_condition": sorted(
            (c for c in found if c.article.kind == Article.Kind.CONDITION),
            key=lambda c: (c.english_only, c.article.condition_names, c.text.title),
        ),
        "guides": sorted(
            (c for c in found if c.article.kind == Article.Kind.GUIDE),
            key=lambda c: (c.english_only, c.text.title),
        ),
    }
    response = render(request, "articles/index.html", context, status=200 if valid else 400)
    # The index may sit in shared caches; what a patient searched for stays in their browser.
    cache = private_page if filterset.is_bound and request.GET.get("q") else public_page
    return cache(lambda request: response)(request)


@require_safe
@public_page
@cache_anonymous
def article_detail(request, slug):
    """An article, or on a Spanish page its Spanish translation: `text` is what readers
    read (title, body, references, review), `article` what both share (conditions,
    illustration, related articles).

    A published article's page is the same for every visitor who is not signed in
    until an editor saves something (core.cache.kept_for_readers): a reader's request
    then costs one query, the version. A page is kept only once it could be shown,
    and what was published stays published until a save changes the version: time
    alone cannot hide a kept page.
    """

    def draw() -> tuple[int, HttpResponse]:
        version = ContentVersion.read()  # before the content: kept_for_readers
        return version, draw_article(request, slug, version)

    # The page names its own address (canonical, og:url) but reads no query string.
    return kept_for_readers(request, f"article-page:{slug}", draw)


def draw_article(request, slug, version: int) -> HttpResponse:
    """The article page, drawn; the {% cache %} blocks of articles/detail.html keep its
    text, references and related articles per process under `version`, and fetch
    what they show only when drawn (fetch_page_parts)."""
    articles = Article.objects.visible_to(request.user).select_related("author", "reviewer")
    if get_language() == "en":
        article = get_object_or_404(articles, slug=slug)
        context = {"article": article, "text": article, "content_version": version}
        return render(request, "articles/detail.html", context)
    # The translation with its article, in one query (the public sees a translation
    # only with its article published).
    translation = (
        ArticleTranslation.objects.visible_to(request.user)
        .filter(article__slug=slug, language=get_language())
        .select_related("article__author", "article__reviewer", "translator", "reviewer")
        .first()
    )
    if translation is None:
        # Said plainly, with the English one link away; not a page to index or pair.
        article = get_object_or_404(articles, slug=slug)
        context = {"article": article, "no_translation": True}
        with override("en"):
            context["canonical_path"] = article.get_absolute_url()
        return render(request, "articles/untranslated.html", context)
    context = {"article": translation.article, "text": translation, "content_version": version}
    return render(request, "articles/detail.html", context)


@require_safe
@public_page
@cache_anonymous
def person_detail(request, slug):
    person = get_object_or_404(Person, slug=slug)
    articles = (
        Article.objects.published()
        .filter(Q(author=person) | Q(reviewer=person))
        .select_related("author", "reviewer")
        .order_by("-published_at")
    )
    texts: list[ReviewedText] = list(articles)
    if get_language() != "en":
        # What they translated or reviewed in this language, then their English articles.
        translated = (
            ArticleTranslation.objects.published()
            .filter(language=get_language())
            .filter(Q(translator=person) | Q(reviewer=person))
            .select_related("article")
            .order_by("-published_at")
        )
        texts = [*translated, *(a for a in in_page_language(articles) if a.other_language)]
    return render(request, "articles/person.html", {"person": person, "articles": texts})


@require_safe
@public_page
@cache_anonymous
def glossary(request):
    # Case-insensitive, so "mTOR" sits among the other M's. The Spanish glossary lists
    # the terms that have a Spanish name.
    if get_language() == "en":
        terms = GlossaryTerm.objects.order_by(Lower("term"))
    else:
        terms = GlossaryTerm.objects.exclude(term_es="").order_by(Lower("term_es"))
    return render(request, "articles/glossary.html", {"terms": terms})


@require_safe
@public_page
@cache_anonymous
def editorial_policy(request):
    return render(request, "articles/editorial_policy.html")
