import re

from django import template
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from articles.models import HEADLINE_LT, HIGHLIGHT, Article, ArticleTranslation, in_page_language
from core.html import json_ld, web_url

register = template.Library()


def person_json(request, person):
    node = {
        "@type": "Person",
        "name": person.name,
        "url": request.build_absolute_uri(person.get_absolute_url()),
    }
    if person.credentials:
        node["honorificSuffix"] = person.credentials
    return node


@register.simple_tag(takes_context=True)
def article_json_ld(context, article, text=None):
    """schema.org MedicalWebPage data for an article or its translation (`text`), with its
    review and references."""
    request = context["request"]
    text = text or article
    translated = text is not article
    url = request.build_absolute_uri(text.get_absolute_url())
    page = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "@id": url,
        "url": url,
        "headline": text.title,
        "name": text.title,
        "description": text.summary,
        "inLanguage": f"{text.language}-US" if translated else "en-US",
        "about": [
            {"@type": "MedicalCondition", "name": condition.local_name}
            for condition in article.conditions.all()
        ],
        "citation": [
            {"@type": "CreativeWork", "name": citation.text}
            | ({"url": citation.url} if web_url(citation.url) else {})
            | ({"sameAs": f"https://doi.org/{citation.doi}"} if citation.doi else {})
            | (
                {"sameAs": f"https://pubmed.ncbi.nlm.nih.gov/{citation.pmid}/"}
                if citation.pmid and not citation.doi
                else {}
            )
            for citation in text.citations.all()
        ],
    }
    if article.author:
        page["author"] = person_json(request, article.author)
    if translated:
        page["translationOfWork"] = {"@id": request.build_absolute_uri(article.get_absolute_url())}
        if text.translator:
            page["translator"] = person_json(request, text.translator)
    if text.reviewer:
        page["reviewedBy"] = person_json(request, text.reviewer)
    if text.last_reviewed:
        page["lastReviewed"] = text.last_reviewed.isoformat()
    if text.published_at:
        page["datePublished"] = text.published_at.date().isoformat()
    if text.revised_on:
        page["dateModified"] = text.revised_on.isoformat()
    return json_ld(page)


@register.simple_tag
def fetch_page_parts(article, text):
    """Fetch what an article page's cached blocks show: its conditions, references,
    related articles (with their translations on a Spanish page) and corrections, one
    query each. Called inside those blocks, so that it runs only when a process draws
    them; a second call fetches nothing more."""
    related = Article.objects.published().order_by("title")
    if text is not article:
        related = related.prefetch_related(
            Prefetch("translations", queryset=ArticleTranslation.objects.published())
        )
        prefetch_related_objects([text], "citations")
    parts: list[str | Prefetch] = [
        "conditions",
        "corrections",
        Prefetch("related", queryset=related),
    ]
    prefetch_related_objects([article], *parts, *(["citations"] if text is article else []))
    return ""


@register.inclusion_tag("articles/condition_articles.html")
def condition_articles(condition):
    """The article about `condition` with its key points, then the other published articles
    about it (guides), for its landing page, in the page's language where translated."""
    articles = condition_article_list(condition)
    lead = next((a for a in articles if a.kind == Article.Kind.CONDITION), None)
    texts = in_page_language(articles)
    return {
        "condition": condition,
        "lead": texts[articles.index(lead)] if lead else None,
        "others": [
            text for article, text in zip(articles, texts, strict=True) if article is not lead
        ],
    }


def condition_article_list(condition):
    """The published articles about `condition`: its own article first, then the newest."""
    return list(
        Article.objects.published()
        .filter(conditions=condition)
        .select_related("reviewer")
        .order_by("kind", "-published_at")
    )


@register.inclusion_tag("articles/latest_articles.html")
def latest_articles(count):
    """The `count` most recently published articles (on a Spanish page, translations) that
    name their medical review."""
    texts = Article.objects if get_language() == "en" else ArticleTranslation.objects
    latest = (
        texts.published()
        .filter(reviewer__isnull=False, last_reviewed__isnull=False)
        .select_related("reviewer")
        .order_by("-published_at", "title")
    )
    if texts is ArticleTranslation.objects:
        latest = latest.filter(language=get_language()).select_related("article")
    return {"articles": latest[:count]}


@register.inclusion_tag("articles/article_links.html")
def article_links(*slugs):
    """Links to the published articles among `slugs`, in that order; the others are skipped.

    A page may name articles that are not written yet: no link is ever dead.
    """
    published = Article.objects.published().filter(slug__in=slugs)
    found = {article.slug: article for article in published}
    return {"articles": in_page_language(found[slug] for slug in slugs if slug in found)}


@register.filter
def backlinks(article, position):
    """The marker ids that cite reference `position`, as (id, letter) pairs."""
    return [
        (marker, marker.rsplit("-", 1)[1]) for marker in article.backlinks.get(str(position), [])
    ]


@register.filter
def highlight_search(headline, words):
    """A search result's passage as HTML: escaped, with the searched words in <mark>.

    PostgreSQL's headline marks its (stemmed) matches with HIGHLIGHT; the simple
    search on SQLite marks nothing, so the words as typed are marked here.
    """
    start, stop = HIGHLIGHT
    headline = headline.replace(HEADLINE_LT, "<")
    if start not in headline:
        terms = [re.escape(term) for term in words.split() if term]
        if terms:
            pattern = re.compile("|".join(terms), re.I)
            headline = pattern.sub(lambda m: f"{start}{m.group(0)}{stop}", headline)
    text = " ".join(headline.split())
    html = str(escape(text)).replace(start, "<mark>").replace(stop, "</mark>")
    return mark_safe(f"…{html}…")  # noqa: S308  # escaped above; only our <mark> tags added
