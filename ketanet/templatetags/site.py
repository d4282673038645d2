"""Site-wide template tags: JSON-LD blocks and breadcrumbs."""

import json
import re

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

register = template.Library()

# The characters that could end a <script> block or start markup, escaped as
# django.utils.html.json_script escapes them.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


# A link target must start with exactly this: browsers ignore case, leading
# spaces and tabs inside a scheme, so "only refuse javascript:" is not enough.
WEB_URL_RE = re.compile(r"https?://", re.IGNORECASE)


@register.filter
def web_url(url):
    """Return `url` if it is an http(s) address, else "" (never a javascript: or data: link).

    Models validate this already; a value written past them must still not become a link.
    """
    url = str(url or "")
    return url if WEB_URL_RE.match(url) else ""


@register.simple_tag
def json_ld(data):
    """Render schema.org data as a JSON-LD block nothing in it can break out of."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return mark_safe(  # noqa: S308 - escaped above, as json_script does
        f'<script type="application/ld+json">{text.translate(JSON_SCRIPT_ESCAPES)}</script>'
    )


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
