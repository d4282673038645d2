from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from articles.checks import MAX_GRADE, MIN_FERNANDEZ_HUERTA, Finding
from articles.models import Article, ArticleTranslation, ReviewedText


def counted(number: int, thing: str) -> str:
    return f"{number:,} {thing}{'s' if number != 1 else ''}"


class Command(BaseCommand):
    help = (
        "Check every article and translation against the editorial standards: reading grade "
        f"(Flesch-Kincaid {MAX_GRADE:.0f} or lower, SMOG reported; Spanish: Fernández Huerta "
        f"{MIN_FERNANDEZ_HUERTA:.0f} or more, INFLESZ reported), claims no health page should "
        "make, numbers without a citation, references without a DOI, PubMed ID or web "
        "address, reference years in the future, reviews past due. Exits with status 1 when "
        "there are errors."
    )

    requires_system_checks: list[str] = []  # the output is the report, nothing else

    def add_arguments(self, parser):
        parser.add_argument(
            "slugs", nargs="*", metavar="SLUG", help="Check only these articles (and translations)."
        )
        parser.add_argument(
            "--published", action="store_true", help="Check only published articles."
        )

    def handle(self, *, slugs, published, **options):
        articles = Article.objects.prefetch_related("citations").order_by("slug")
        translations = (
            ArticleTranslation.objects.select_related("article")
            .prefetch_related("citations")
            .order_by("article__slug", "language")
        )
        if published:
            articles = articles.published()
            translations = translations.published()
        if slugs:
            articles = articles.filter(slug__in=slugs)
            translations = translations.filter(article__slug__in=slugs)
            missing = set(slugs) - {article.slug for article in articles}
            if missing:
                raise CommandError(f"No article with the slug {', '.join(sorted(missing))}.")
        today = timezone.localdate()
        errors = warnings = 0
        texts: list[ReviewedText] = [*articles, *translations]
        for article in texts:
            citations = list(article.citations.all())
            reading, findings = article.check_content(citations, today)
            findings += [
                Finding("error", field, message)
                for field, messages in [
                    *((field, [message]) for field, message in article.publishing_errors().items()),
                    *article.citation_errors(c.position for c in citations).items(),
                ]
                for message in messages
            ]
            article_errors = sum(finding.level == "error" for finding in findings)
            errors += article_errors
            warnings += len(findings) - article_errors
            status = "ok" if not findings else "errors" if article_errors else "warnings"
            draft = "" if article.status == Article.Status.PUBLISHED else " (draft)"
            name = (
                article.slug
                if isinstance(article, Article)
                else f"{article.article.slug} [{article.language}]"  # type: ignore[attr-defined]
            )
            self.stdout.write(
                f"{name}{draft}: {reading.describe()}, "
                f"{reading.words:,} words, {len(citations)} references: {status}"
            )
            for finding in findings:
                style = self.style.ERROR if finding.level == "error" else self.style.WARNING
                self.stdout.write(style(f"  {finding.level} ({finding.field}): {finding.message}"))
        checked = counted(len(articles), "article")
        if translations:
            checked += f" and {counted(len(translations), 'translation')}"
        summary = f"Checked {checked}: {counted(errors, 'error')}, {counted(warnings, 'warning')}."
        if errors:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
