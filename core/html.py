"""Safe output: escaped text, links that are only ever web addresses, JSON-LD nothing can
break out of."""

import html
import json
import re

from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

# The characters that could end a <script> block or start markup, escaped as
# django.utils.html.json_script escapes them.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


# A link target must start with exactly this: browsers ignore case, leading
# spaces and tabs inside a scheme, so "only refuse javascript:" is not enough.
WEB_URL_RE = re.compile(r"https?://", re.IGNORECASE)


def web_url(url) -> str:
    """Return `url` if it is an http(s) address, else "" (never a javascript: or data: link).

    Models validate this already; a value written past them must still not become a link.
    """
    url = str(url or "")
    return url if WEB_URL_RE.match(url) else ""


def escaped(value) -> str:
    """`value` escaped for HTML unless it is HTML already: Django's conditional_escape()
    without the wrapper for lazy arguments around its escape(), which is most of its
    time. A search page's cards and form escape a few hundred values."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def json_ld(data) -> SafeString:
    """Render schema.org data as a JSON-LD block nothing in it can break out of."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return mark_safe(  # noqa: S308 - escaped above, as json_script does
        f'<script type="application/ld+json">{text.translate(JSON_SCRIPT_ESCAPES)}</script>'
    )
