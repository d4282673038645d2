"""The sitemap: articles, published providers, and the landing pages that exist, each
in English and in Spanish (/es/…) with the other as its hreflang alternate."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, Max, OuterRef
from django.urls import reverse

from articles.models import Article, ArticleTranslation
from directory.models import Condition, Location, Provider


class BilingualSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class LanguagePairs:
    """(item, language) for each item of a queryset and each language, as Django's
    i18n sitemap pages them, but read from the database a page at a time: Django's
    own makes the whole list first, a hundred thousand providers for every page."""

    def __init__(self, queryset, languages):
        self.queryset, self.languages = queryset, languages

    def count(self):
        return self.queryset.count() * len(self.languages)

    def __getitem__(self, pairs):
        n = len(self.languages)
        start, stop = pairs.start // n, -(-pairs.stop // n)
        everything = [(item, code) for item in self.queryset[start:stop] for code in self.languages]
        offset = start * n
        return everything[pairs.start - offset : pairs.stop - offset]


class LargeBilingualSitemap(BilingualSitemap):
    def _items(self):
        languages = self.languages or [code for code, _name in settings.LANGUAGES]
        return LanguagePairs(self.items(), languages)


class StaticSitemap(BilingualSitemap):
    def items(self):
        return ["home", "clinics", "article-index", "glossary", "editorial-policy"]

    def location(self, name):
        return reverse(name)


class ArticleSitemap(BilingualSitemap):
    def items(self):
        translated = ArticleTranslation.objects.published().filter(article=OuterRef("pk"))
        return (
            Article.objects.published()
            .annotate(translated=Exists(translated.filter(language="es")))
            .order_by("pk")
        )

    def get_languages_for_item(self, article):
        # A Spanish page without a translation only points to the English one.
        return ["en", "es"] if article.translated else ["en"]

    def lastmod(self, article):
        return article.modified


class ProviderSitemap(LargeBilingualSitemap):
    limit = 10_000

    def items(self):
        return Provider.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, provider):
        return provider.updated_at


class StateSitemap(BilingualSitemap):
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


class CitySitemap(LargeBilingualSitemap):
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


class ConditionSitemap(BilingualSitemap):
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
