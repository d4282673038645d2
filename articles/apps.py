from django.apps import AppConfig
from django.db.models.signals import pre_save


def render_loaded_article(sender, instance, raw, **kwargs):
    """Fixtures save without calling Article.save(); render their bodies all the same."""
    if raw:
        instance.render()


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        from articles.models import Article

        pre_save.connect(render_loaded_article, sender=Article, dispatch_uid="render-loaded")
