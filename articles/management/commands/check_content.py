from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from articles.checks import MAX_GRADE, Finding
from articles.models import Article


class Command(BaseCommand):
    help = (
        "Check every article against the editorial standards: reading grade (Flesch-Kincaid "
        f"{MAX_GRADE:.0f} or lower; SMOG reported), claims no health page should make, numbers "
        "without a citation, references without a DOI, PubMed ID or web address, reference "
        "years in the future, reviews past due. Exits with status 1 when there are errors."
    )

    requires_system_checks: list[str] = []  # the output is the report, nothing else

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="SLUG", help="Check only these articles.")
        parser.add_argument(
            "--published", action="store_true", help="Check only published articles."
        )

    def handle(self, *, slugs, published, **options):
        articles = Article.objects.prefetch_related("citations").order_by("slug")
        if published:
            articles = articles.published()
        if slugs:
            articles = articles.filter(slug__in=slugs)
            missing = set(slugs) - {article.slug for article in articles}
            if missing:
                raise CommandError(f"No article with the slug {', '.join(sorted(missing))}.")
        today = timezone.localdate()
        errors = warnings = 0
        for article in articles:
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
            self.stdout.write(
                f"{article.slug}{draft}: grade {reading.grade:.1f}, SMOG {reading.smog:.1f}, "
                f"{reading.words:,} words, {len(citations)} references: {status}"
            )
            for finding in findings:
                style = self.style.ERROR if finding.level == "error" else self.style.WARNING
                self.stdout.write(style(f"  {finding.level} ({finding.field}): {finding.message}"))
        total = len(articles)
        summary = (
            f"Checked {total} article{'s' if total != 1 else ''}: "
            f"{errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}."
        )
        if errors:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
