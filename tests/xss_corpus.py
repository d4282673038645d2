"""Script-injection payloads, and checks that a page carrying them is inert.

Every payload that would run if it reached the page as markup calls alert(1)
(or sets window.__xss), so a browser test can trap it. The HTML checks prove
inertness by escaping alone, whatever Content-Security-Policy the site sends.
"""

import json
import re
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser

ALERT_SVG = "PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"  # base64 of <svg onload=alert(1)>
DATA_HTML = "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="

# A long run of emoji, combining marks and astral letters (5,000+ code points).
LONG_UNICODE = ("👩\u200d⚕️e\u0301\u0308\u0327𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ⁦שלום⁩ " * 300)[
    :5000
] + "<script>alert(1)</script>"

# Text an editor might type into any field: name, description, address, bio …
PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "script upper case": "<SCRIPT>window.__xss=1</SCRIPT>",
    "script with src": "<script src=//xss.example/x.js></script>",
    "double-quote breakout": '"><script>alert(1)</script>',
    "single-quote breakout": "'><script>alert(1)</script>",
    "script breakout": "</script><script>alert(1)</script>",
    "title breakout": "</title><script>alert(1)</script>",
    "textarea breakout": "</textarea><script>alert(1)</script>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "svg onload": "<svg onload=alert(1)>",
    "svg script": "<svg><script>alert(1)</script></svg>",
    "attribute handler": '" autofocus onfocus="alert(1)" x="',
    "single-quoted handler": "' autofocus onfocus='alert(1)' x='",
    "details ontoggle": "<details open ontoggle=alert(1)>",
    "body onload": "<body onload=alert(1)>",
    "javascript url": "javascript:alert(1)",
    "javascript mixed case": "JaVaScRiPt:alert(1)",
    "javascript tab entity": "java&#x09;script:alert(1)",
    "javascript leading space": " javascript:alert(1)",
    "data url": DATA_HTML,
    "anchor javascript": '<a href="javascript:alert(1)">x</a>',
    "iframe javascript": "<iframe src=javascript:alert(1)>",
    "iframe srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base href": '<base href="javascript:alert(1)//">',
    "object data": f'<object data="data:image/svg+xml;base64,{ALERT_SVG}"></object>',
    "mathml mutation": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "noscript mutation": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "unclosed tag": "<b",
    "unclosed img": "<img src=x onerror=alert(1) ",
    "comment opener": "<!--",
    "comment breakout": "--><script>alert(1)</script>",
    "cdata end": "]]>",
    "cdata": "<![CDATA[<script>alert(1)</script>]]>",
    "template variable": "{{ 7*7 }}",
    "template tag": "{% debug %}",
    "template tags": "{% load static %}{{ request.META }}{# x #}",
    "line separators": "a\u2028b\u2029c</script><script>alert(1)</script>",
    "control characters": "page\x0cbreak\x0bvertical\x1bescape\x08\ufffe\uffff<script>alert(1)",
    "rtl override": "\u202egnp.exe\u202c<script>alert(1)</script>",
    "zero-width in tag": "<scr\u200bipt>alert(1)</scr\u200bipt>",
    "quotes and ampersands": "\"'&amp;&lt;&#39;<>& \\\" \\'",
    "escaped script": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "json-ld breaker": '{"@context":"https://schema.org"}</script><script>alert(1)</script><!--',
    "json string breaker": '"}]}</script><script>alert(1)</script>',
    "comment script": "<!--<script>alert(1)//-->",
    "polyglot": (
        "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert(1) )//%0D%0A%0d%0a//"
        "</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert(1)//>\\x3e"
    ),
    "long unicode": LONG_UNICODE,
}

# Article bodies are Markdown; these aim at the Markdown renderer and sanitiser.
MARKDOWN_PAYLOADS = {
    "link javascript": "[x](javascript:alert(1))",
    "link mixed case": "[x](JaVaScRiPt:alert(1))",
    "link entity": "[x](&#106;avascript:alert(1))",
    "link spaced": "[x](<  javascript:alert(1)>)",
    "link with title": '[x](javascript:alert(1) "title")',
    "link data": f"[x]({DATA_HTML})",
    "link vbscript": "[x](vbscript:msgbox(1))",
    "link attribute breakout": '[x](https://x.example/" onmouseover="alert(1))',
    "image javascript": "![x](javascript:alert(1))",
    "image onerror": '![x" onerror="alert(1)](x)',
    "reference link": "[x][evil]\n\n[evil]: javascript:alert(1)",
    "autolink javascript": "<javascript:alert(1)>",
    "autolink breakout": '<https://x.example/"onmouseover="alert(1)>',
    "raw anchor": '<a href="javascript:alert(1)">x</a>',
    "raw script": "<script>alert(1)</script>",
    "raw img": "<img src=x onerror=alert(1)>",
    "raw div handler": "<div onmouseover=alert(1)>x</div>",
    "raw svg": "<svg><script>alert(1)</script></svg>",
    "raw iframe": "<iframe src=javascript:alert(1)></iframe>",
    "heading with markup": "## <img src=x onerror=alert(1)> heading",
    "code span": "`</code><script>alert(1)</script>`",
    "fenced code": "```\n</pre></code><script>alert(1)</script>\n```",
    "marker then script": "Cited [cite:1]<script>alert(1)</script>",
    "table cell": "| a |\n|---|\n| <script>alert(1)</script> |",
    "comment then script": "<!-- --><script>alert(1)</script>",
    "html block": "<details open ontoggle=alert(1)>\n\nx\n\n</details>",
}

# What a URL field (a provider's website, a citation's link) might be given.
SCRIPT_URLS = {
    "javascript": "javascript:alert(1)",
    "javascript mixed case": "JaVaScRiPt:alert(1)",
    "javascript leading space": " javascript:alert(1)",
    "javascript tab": "java\tscript:alert(1)",
    "javascript control char": "\x01javascript:alert(1)",
    "javascript comment": "javascript://example.com/%0Aalert(1)",
    "data": DATA_HTML,
    "vbscript": "vbscript:msgbox(1)",
}
# Web addresses that are valid http(s) URLs yet carry markup.
MARKUP_URLS = {
    "query script": "https://example.com/?q=<script>alert(1)</script>",
    "quote breakout": 'https://example.com/?q="><script>alert(1)</script>',
    "single-quote handler": "https://example.com/?q='onmouseover='alert(1)",
}

EXECUTABLE_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster"}
# Elements that never belong in the site's own markup.
FORBIDDEN_TAGS = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "svg", "math", "noscript",
}  # fmt: skip
# The site's own server-drawn maps (templates/includes/*_map.html) are the one <svg>
# a public page may hold; anything else called svg is a payload.
SITE_SVG_CLASSES = {"clinic-map__svg", "state-map__svg"}
# <script> blocks that hold data, not code.
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}
# Browsers ignore these anywhere in a URL's scheme (and leading C0 controls and spaces).
URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")


class Inspection(HTMLParser):
    """Everything in a page that could run script, plus its text and data blocks."""

    def __init__(self, html, allow=()):
        super().__init__(convert_charrefs=True)
        self.forbidden = FORBIDDEN_TAGS - set(allow)
        self.problems, self.text, self.attribute_values = [], [], []
        self.data_blocks, self._script = [], None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self._check_tag(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check_tag(tag, attrs)
        self._script = None

    def _check_tag(self, tag, attrs):
        values = dict(attrs)
        if tag in self.forbidden and not (tag == "svg" and values.get("class") in SITE_SVG_CLASSES):
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            value = value or ""
            self.attribute_values.append(value)
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and script_url(value):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "script":
            kind = (values.get("type") or "").lower()
            if kind in DATA_SCRIPT_TYPES:
                self._script = kind
            elif re.match(r"/[^/\\]", values.get("src", "")) and kind in {"", "text/javascript"}:
                self._script = "src"
            else:
                self.problems.append(f"<script {values}>")
                self._script = "code"

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script in DATA_SCRIPT_TYPES:
            self.data_blocks.append((self._script, data))
        elif self._script == "src" and data.strip():
            self.problems.append(f"code inside <script src>: {data[:80]!r}")
        elif self._script is None:
            self.text.append(data)

    def handle_comment(self, data):
        self.text.append(f"<!--{data}-->")

    def json_ld(self):
        """The page's JSON-LD blocks, parsed; a raw "<" (it could end the block) is a problem."""
        blocks = []
        for kind, raw in self.data_blocks:
            if "<" in raw:
                self.problems.append(f"{kind} block with markup: {raw[:120]!r}")
            if kind == "application/ld+json":
                try:
                    blocks.append(json.loads(raw))
                except json.JSONDecodeError as error:
                    self.problems.append(f"JSON-LD that does not parse ({error}): {raw[:120]!r}")
        return blocks


def script_url(value):
    """Whether a URL attribute (already HTML-unescaped) would run script or load a document."""
    return URL_NOISE.sub("", value).lower().startswith(EXECUTABLE_SCHEMES)


def inspect(html, allow=()):
    """Parse a page; fail with every way it could run a payload.

    `allow` names forbidden tags the page may have of its own (the admin's SVG icons).
    """
    page = Inspection(html, allow)
    page.json_ld()
    assert page.problems == [], page.problems
    return page


def strings_in(data):
    """Every string anywhere inside parsed JSON."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from strings_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from strings_in(value)


# --- A site full of payloads -----------------------------------------------------
# Wyoming and addiction: no other test searches there (the browser tests share
# their database with these objects while they exist).
STATE = "WY"
ZIP = "82001"
CENTRE = (41.14, -104.82)
CONDITION = "addiction"
HERO_IMAGE = "img/articles/ketamine-for-depression.svg"


def fit(model, field, value):
    """`value`, cut to what the column holds (PostgreSQL refuses longer strings)."""
    limit = model._meta.get_field(field).max_length
    return value[:limit] if limit else value


@dataclass
class PayloadSite:
    providers: list  # [(payload name, Provider)]
    articles: list  # [(payload name, Article)]

    def provider_values(self, provider):
        """Each payload-bearing field of a provider: {field: stored value}."""
        location = provider.locations.all()[0]
        return {
            "provider.name": provider.name,
            "provider.description": provider.description,
            "provider.medical_director_name": provider.medical_director_name,
            "provider.price_includes": provider.price_includes,
            "provider.cancellation_terms": provider.cancellation_terms,
            "provider.course_notes": provider.course_notes,
            "provider.sent_home": provider.sent_home,
            "location.address1": location.address1,
            "location.address2": location.address2,
            "location.city": location.city,
            "location.hours": location.hours,
        }

    def article_values(self, article):
        citation = article.citations.all()[0]
        return {
            "article.title": article.title,
            "article.summary": article.summary,
            "article.hero_alt": article.hero_alt,
            "citation.text": citation.text,
            "citation.doi": citation.doi,
            "person.name": article.author.name,
            "person.credentials": article.author.credentials,
            "person.bio": article.author.bio,
        }

    def delete(self):
        """Remove everything built (the browser tests' data is committed)."""
        from articles.models import Article, Person
        from directory.models import Provider

        people = {article.author_id for _, article in self.articles}
        Article.objects.filter(pk__in=[article.pk for _, article in self.articles]).delete()
        Person.objects.filter(pk__in=people).delete()
        Provider.objects.filter(pk__in=[provider.pk for _, provider in self.providers]).delete()


def markdown_body(index, payload):
    markdown = list(MARKDOWN_PAYLOADS.values())[index % len(MARKDOWN_PAYLOADS)]
    return f"{markdown}\n\n{payload}\n\nCited [cite:1].\n\n## {payload}\n\nThe end.\n"


def build_payload_site(prefix):
    """One published provider, person and article per payload, every text field carrying it."""
    from articles.models import Article, Citation, Person
    from directory.models import Condition, Location, Provider, Treatment

    condition = Condition.objects.get(slug=CONDITION)
    treatment = Treatment.objects.order_by("pk").first()
    providers, articles = [], []
    for index, (name, payload) in enumerate(PAYLOADS.items()):
        urls = list(MARKUP_URLS.values())
        provider = Provider.objects.create(
            name=fit(Provider, "name", payload),
            slug=f"{prefix}-{index}",
            description=payload,
            website=urls[index % len(urls)],
            status=Provider.Status.PUBLISHED,
            accepting_new_patients=True,
            medical_director_name=fit(Provider, "medical_director_name", payload),
            price_includes=fit(Provider, "price_includes", payload),
            cancellation_terms=fit(Provider, "cancellation_terms", payload),
            course_notes=fit(Provider, "course_notes", payload),
            sent_home=fit(Provider, "sent_home", payload),
        )
        provider.conditions.set([condition])
        provider.treatments.set([treatment])
        provider.serves_states.set([STATE])
        Location.objects.create(
            provider=provider,
            address1=fit(Location, "address1", payload),
            address2=fit(Location, "address2", payload),
            city=fit(Location, "city", payload),
            state_id=STATE,
            zip=ZIP,
            latitude=CENTRE[0] + index / 1000,
            longitude=CENTRE[1],
            hours=payload,
        )
        providers.append((name, provider))

        person = Person.objects.create(
            name=fit(Person, "name", payload),
            slug=f"{prefix}-person-{index}",
            credentials=fit(Person, "credentials", payload),
            bio=payload,
            role=Person.Role.MEDICAL_REVIEWER,
        )
        article = Article.objects.create(
            title=fit(Article, "title", payload),
            slug=f"{prefix}-article-{index}",
            summary=payload[:300],
            body=markdown_body(index, payload),
            hero_image=HERO_IMAGE,
            hero_alt=fit(Article, "hero_alt", payload),
            author=person,
            reviewer=person,
            status=Article.Status.PUBLISHED,
            last_reviewed=date(2026, 10, 1),
            revised_on=date(2026, 10, 2),
        )
        article.conditions.set([condition])
        Citation.objects.create(
            article=article,
            position=1,
            text=payload,
            url=urls[index % len(urls)],
            doi=fit(Citation, "doi", payload),
        )
        articles.append((name, article))
    return PayloadSite(providers, articles)
