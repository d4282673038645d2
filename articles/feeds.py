import re

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import get_language, gettext_lazy

from articles.models import Article, ArticleTranslation

# Characters XML 1.0 cannot carry: one pasted page break (a form feed) in a
# title must not take the whole feed down.
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text):
    """`text` without the characters an XML document cannot contain."""
    return NOT_XML.sub("", text) if text else text


class ArticleFeed(Feed):
    feed_type = Atom1Feed
    title = gettext_lazy("ketanet articles")
    subtitle = gettext_lazy("Medically reviewed articles about ketamine treatment.")
    link = reverse_lazy("article-index")

    def items(self):
        """The newest articles; the Spanish feed (/es/articles/feed/), the newest Spanish
        translations."""
        if get_language() == "en":
            return Article.objects.published().select_related("author")[:20]
        return (
            ArticleTranslation.objects.published()
            .filter(language=get_language())
            .select_related("article__author")[:20]
        )

    def item_title(self, article):
        return xml_text(article.title)

    def item_description(self, article):
        # Atom marks the summary as HTML; ours is plain text, so escape it.
        return escape(xml_text(article.summary))

    def item_pubdate(self, article):
        return article.published_at

    def item_updateddate(self, article):
        return article.modified

    def item_author_name(self, text):
        article = text.article if isinstance(text, ArticleTranslation) else text
        return xml_text(article.author.name) if article.author else None
