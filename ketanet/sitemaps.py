"""The sitemap: articles, published providers, and the landing pages that exist."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from articles.models import Article
from directory.models import Condition, Location, Provider


class StaticSitemap(Sitemap):
    def items(self):
        return ["home", "clinics", "article-index", "glossary", "editorial-policy"]

    def location(self, name):
        return reverse(name)


class ArticleSitemap(Sitemap):
    def items(self):
        return Article.objects.published().order_by("pk")

    def lastmod(self, article):
        return article.modified


class ProviderSitemap(Sitemap):
    limit = 10_000

    def items(self):
        return Provider.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, provider):
        return provider.updated_at


class StateSitemap(Sitemap):
    def items(self):
        clinic_states = Location.objects.published()
        at_home_states = Provider.serves_states.through.objects.filter(
            provider__status=Provider.Status.PUBLISHED
        )
        codes = set(clinic_states.values_list("state_id", flat=True).distinct())
        codes |= set(at_home_states.values_list("state_id", flat=True).distinct())
        return sorted(code.lower() for code in codes)

    def location(self, code):
        return reverse("state-landing", args=[code])


class CitySitemap(Sitemap):
    limit = 10_000

    def items(self):
        return (
            # A city name without letters or digits has no slug, so no landing page.
            Location.objects.published()
            .exclude(city_slug="")
            .values_list("state_id", "city_slug")
            .annotate(updated=Max("provider__updated_at"))
            .order_by("state_id", "city_slug")
        )

    def location(self, item):
        return reverse("city-landing", args=[item[0].lower(), item[1]])

    def lastmod(self, item):
        return item[2]


class ConditionSitemap(Sitemap):
    def items(self):
        return Condition.objects.filter(providers__status=Provider.Status.PUBLISHED).distinct()

    def location(self, condition):
        return reverse("condition-landing", args=[condition.slug])


SITEMAPS = {
    "pages": StaticSitemap,
    "articles": ArticleSitemap,
    "providers": ProviderSitemap,
    "states": StateSitemap,
    "cities": CitySitemap,
    "conditions": ConditionSitemap,
}
