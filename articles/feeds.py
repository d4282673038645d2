from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from articles.models import Article


class ArticleFeed(Feed):
    feed_type = Atom1Feed
    title = "ketanet articles"
    subtitle = "Medically reviewed articles about ketamine treatment."
    link = reverse_lazy("article-index")

    def items(self):
        return Article.objects.published().select_related("author")[:20]

    def item_title(self, article):
        return article.title

    def item_description(self, article):
        return article.summary

    def item_pubdate(self, article):
        return article.published_at

    def item_updateddate(self, article):
        return article.modified

    def item_author_name(self, article):
        return article.author.name if article.author else None
