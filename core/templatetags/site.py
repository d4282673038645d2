"""Site-wide template tags: JSON-LD blocks and breadcrumbs."""

from django import template
from django.template.loader import render_to_string

from core.html import json_ld, web_url

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
    crumbs = [("Home", "/"), *zip(pairs[0::2], pairs[1::2], strict=True), (current, None)]
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
