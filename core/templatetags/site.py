"""Site-wide template tags: JSON-LD blocks, breadcrumbs and the page in other languages."""

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.translation import gettext as _

from core.html import json_ld, web_url
from core.i18n import keeps_query

register = template.Library()

register.filter(web_url)
register.simple_tag(json_ld)


@register.simple_tag(takes_context=True)
def breadcrumbs(context, *trail):
    """A breadcrumb trail and its BreadcrumbList JSON-LD.

    Arguments alternate name, URL; the last name (the page itself) has no URL:
    {% breadcrumbs "Articles" articles_url article.title %}. Home comes first.
    """
    request = context["request"]
    *pairs, current = trail
    crumbs = [
        (_("Home"), reverse("home")),
        *zip(pairs[0::2], pairs[1::2], strict=True),
        (current, None),
    ]
    items = [
        {
            "@type": "ListItem",
            "position": position,
            "name": str(name),
            "item": request.build_absolute_uri(url or request.path),
        }
        for position, (name, url) in enumerate(crumbs, start=1)
    ]
    data = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items}
    return render_to_string(
        "includes/breadcrumbs.html", {"crumbs": crumbs, "json_ld": json_ld(data)}
    )


@register.filter
def in_sentence(name):
    """A name as it reads mid-sentence: "Chronic pain" → "chronic pain", "PTSD" stays."""
    name = str(name)
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


@dataclass(frozen=True)
class LanguageVersion:
    code: str  # "es"
    name: str  # in its own language: "Español"
    url: str  # this page in that language, query string kept (the language switch)
    canonical: str  # its canonical address in that language (hreflang); "" for a missing page


@register.simple_tag(takes_context=True)
def language_versions(context) -> list[LanguageVersion]:
    """This page in each of the site's languages, the current one included.

    The switch keeps the query string on the pages that read it (core.i18n). A page
    with no counterpart (a 404) links to the other language's home page and has no
    canonical addresses to pair.
    """
    request = context.get("request")
    if request is None:
        return []
    current = translation.get_language()
    match = getattr(request, "resolver_match", None)
    canonical_path = context.get("canonical_path") or request.path
    query = request.META.get("QUERY_STRING", "") if keeps_query(request) else ""
    # Every page asks this, so the request's own URL match is reused (translate_url
    # would resolve the path again for each language).
    origin = f"{request.scheme}://{request.get_host()}"
    versions = []
    for code, name in settings.LANGUAGES:
        if match is None:  # a 404: no counterpart
            path = request.path if code == current else home_in(code)
            canonical = ""
        else:
            path = path_in(match, request.path, code)
            same = canonical_path == request.path
            canonical = origin + (path if same else translate_url(canonical_path, code))
        url = f"{path}?{query}" if query else path
        versions.append(LanguageVersion(code=code, name=name, url=url, canonical=canonical))
    return versions


def home_in(code: str) -> str:
    with translation.override(code):
        return reverse("home")


def path_in(match, path: str, code: str) -> str:
    """The path `match` (a ResolverMatch of `path`) resolves from, in language `code`."""
    if not match.url_name:
        return translate_url(path, code)  # an unnamed pattern: Django's own way
    with translation.override(code):
        return reverse(match.view_name, args=match.args, kwargs=match.kwargs)
