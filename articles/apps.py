from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save


def render_loaded_article(sender, instance, raw, **kwargs):
    """Fixtures save without calling save(); render articles' and translations' bodies
    all the same."""
    if raw:
        instance.render()


def relink_glossary(sender, raw=False, **kwargs):
    """A term added, renamed or removed changes the links in every article's HTML and
    every translation's."""
    if raw:
        return  # fixtures list the glossary before the articles, which render on load
    from articles.models import Article, ArticleTranslation, GlossaryTerm

    # The glossary is read once per language, not once per text.
    articles = list(Article.objects.all())
    glossary = GlossaryTerm.objects.link_targets(Article.text_language)
    for article in articles:
        article.render(glossary)
    Article.objects.bulk_update(articles, ["body_html"])
    translations = list(ArticleTranslation.objects.all())
    glossary = GlossaryTerm.objects.link_targets(ArticleTranslation.text_language)
    for translation in translations:
        translation.render(glossary)
    ArticleTranslation.objects.bulk_update(translations, ["body_html"])


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        from articles.models import (
            Article,
            ArticleTranslation,
            Citation,
            Correction,
            GlossaryTerm,
            Person,
            TranslationCitation,
        )
        from core.cache import bump_content_version

        for text_model in (Article, ArticleTranslation):
            pre_save.connect(
                render_loaded_article, sender=text_model, dispatch_uid=f"render-{text_model}"
            )
        for signal in (post_save, post_delete):
            signal.connect(relink_glossary, sender=GlossaryTerm, dispatch_uid=f"relink-{signal}")
        for model in (
            Article,
            ArticleTranslation,
            Citation,
            TranslationCitation,
            Correction,
            GlossaryTerm,
            Person,
        ):
            for signal in (post_save, post_delete):
                signal.connect(bump_content_version, sender=model, dispatch_uid=f"bump-{model}")
        for relation in ("conditions", "related"):
            through = getattr(Article, relation).through
            m2m_changed.connect(
                bump_content_version, sender=through, dispatch_uid=f"bump-{relation}"
            )
