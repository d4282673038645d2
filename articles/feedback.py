"""Report a mistake in an article: the public's form, filed in the directory's moderation queue.

The report changes nothing a reader sees until an editor checks it against the
sources; a significant correction is then listed at the end of the article.
The queue keeps the article's path and title, not a key: the directory app
knows nothing of articles.
"""

from django import forms
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from articles.models import Article, ReviewedText, in_page_language
from core.public_forms import GuardedForm, PublicFormView
from directory.feedback import DETAILS_REQUIRED, details_field, email_field
from directory.moderation import submission_file
from directory.submissions import ARTICLE_PROBLEMS, Submission


class ArticleReportForm(GuardedForm):
    form_name = "article-report"

    problem = forms.ChoiceField(
        label=gettext_lazy("What is wrong?"),
        choices=ARTICLE_PROBLEMS,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose what is wrong with this article.")},
    )
    details = details_field(
        label=gettext_lazy("Details"),
        help_text=gettext_lazy(
            "What is wrong and where in the article, and what is right if you know "
            "(for example a newer study). Please leave out anything about your health."
        ),
        required_message=gettext_lazy(DETAILS_REQUIRED),
    )
    email = email_field()


def published_article(slug: str) -> Article:
    """The published article `slug`, or 404: drafts take no reports."""
    return get_object_or_404(Article.objects.published(), slug=slug)


def text_read(article: Article) -> ReviewedText:
    """What the reader was reading: on a Spanish page, the Spanish translation if any."""
    return in_page_language([article])[0]


class ArticleReportView(PublicFormView):
    form_class = ArticleReportForm
    template_name = "articles/report.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.article = published_article(kwargs["slug"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(article=text_read(self.article), **kwargs)

    def file(self, form):
        text = text_read(self.article)
        return submission_file(
            Submission(
                kind=Submission.Kind.ARTICLE,
                page=text.get_absolute_url(),  # /es/… for a report on the Spanish page
                page_title=text.title,
                problem=form.cleaned_data["problem"],
                details=form.cleaned_data["details"].strip(),
                email=form.cleaned_data["email"],
            )
        )

    def get_success_url(self):
        return reverse("article-report-sent", args=[self.article.slug])


class ArticleReportSentView(TemplateView):
    template_name = "articles/report_sent.html"

    def get_context_data(self, **kwargs):
        article = text_read(published_article(kwargs["slug"]))
        return super().get_context_data(article=article, **kwargs)
