from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from articles import checks
from articles.models import (
    Article,
    ArticleTranslation,
    Citation,
    Correction,
    GlossaryTerm,
    Person,
    ReviewedText,
    TranslationCitation,
    hero_image_choices,
)
from core.admin import SubsetFilter
from core.history_admin import VersionedAdmin, VersionedForm


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "credentials", "role"]
    list_filter = ["role"]
    search_fields = ["name", "credentials"]
    prepopulated_fields = {"slug": ["name"]}


class CitationFormSet(forms.BaseInlineFormSet):
    """Check the publishing rules that need the citations on this very form."""

    def clean(self):
        super().clean()
        article = self.instance  # an article or a translation
        if article.status != ReviewedText.Status.PUBLISHED or any(self.errors):
            return
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
        ]
        positions = sorted(form.cleaned_data["position"] for form in kept)
        if positions != list(range(1, len(positions) + 1)):
            raise ValidationError(
                "Number the citations 1, 2, 3 … without gaps: [cite:N] points at position N."
            )
        # A reference readers cannot check is flagged on its own row.
        today = timezone.localdate()
        for form in kept:
            # The row's instance, as Citation.clean() left it (the DOI without "doi:").
            for finding in checks.reference_findings([form.instance], today):
                form.add_error(None, finding.message)
        errors = article.citation_errors(positions).get("body", [])
        if errors:
            raise ValidationError(errors)


class CitationInline(admin.TabularInline):
    model = Citation
    formset = CitationFormSet
    fields = ["position", "text", "url", "doi", "pmid"]
    extra = 1
    formfield_overrides = {
        Citation._meta.get_field("text").__class__: {
            "widget": forms.Textarea(attrs={"rows": 2, "cols": 60})
        }
    }


class ReviewedTextForm(VersionedForm):
    """An article's or a translation's form, saved with its citations."""

    def _post_clean(self):
        # Citations are checked by CitationFormSet against the ones being saved.
        self.instance.citations_checked_by_form = True
        super()._post_clean()  # type: ignore[misc]  # ModelForm has it; the stubs omit it


class ArticleForm(ReviewedTextForm):
    class Meta:
        model = Article
        fields = [
            "title", "slug", "status", "kind", "summary", "key_points", "body", "hero_image",
            "hero_alt", "author", "reviewer", "published_at", "revised_on", "last_reviewed",
            "next_review", "conditions", "related",
        ]  # fmt: skip
        widgets = {"key_points": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hero_image"] = forms.ChoiceField(
            choices=[("", "No image"), *hero_image_choices()],
            required=False,
            help_text=Article._meta.get_field("hero_image").help_text,
        )


class CorrectionInline(admin.StackedInline):
    """The article's public corrections record: added and amended, never deleted."""

    model = Correction
    fields = ["date", "change", "reason"]
    extra = 0
    can_delete = False
    formfield_overrides = {
        Correction._meta.get_field("change").__class__: {
            "widget": forms.Textarea(attrs={"rows": 2, "cols": 80})
        }
    }


class ReviewDueFilter(SubsetFilter):
    title = "medical review"
    parameter_name = "review"
    inside = ("due", "Review due (next review date passed)")
    outside = ("current", "Review not yet due")

    def subset(self):
        return Article.objects.review_due()


class ReviewedTextAdmin(VersionedAdmin):
    """After each save, what the editorial checks say (report_checks)."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        report_checks(request, form.instance)


@admin.register(Article)
class ArticleAdmin(ReviewedTextAdmin):
    form = ArticleForm
    list_display = ["title", "kind", "status", "reviewer", "last_reviewed", "next_review"]
    list_filter = ["status", "kind", "reviewer", ReviewDueFilter, "conditions"]
    list_select_related = ["author", "reviewer"]
    search_fields = ["title", "summary"]
    autocomplete_fields = ["author", "reviewer", "conditions", "related"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [CitationInline, CorrectionInline]
    fieldsets = [
        (
            None,
            {"fields": ["title", "slug", "status", "kind", "summary", "key_points", "body"]},
        ),
        ("Picture", {"fields": ["hero_image", "hero_alt"]}),
        (
            "People and dates",
            {
                "fields": [
                    "author",
                    "reviewer",
                    "published_at",
                    "revised_on",
                    "last_reviewed",
                    "next_review",
                ]
            },
        ),
        ("Connections", {"fields": ["conditions", "related"]}),
    ]


def report_checks(request, text):
    """After a save, what `check_content` says: the reading level, the warnings, and for a
    draft the errors that will block publishing it."""
    reading, findings = text.check_content()
    if isinstance(reading, checks.Readability):
        summary = f"Reading grade {reading.grade:.1f} (Flesch–Kincaid), SMOG {reading.smog:.1f}."
    else:
        summary = f"Readability: {reading.describe()} (60 or more to publish)."
    messages.info(request, summary)
    for finding in findings:
        if finding.level == "warning":
            messages.warning(request, finding.message)
        elif text.status != ReviewedText.Status.PUBLISHED:
            messages.warning(request, f"Before publishing: {finding.message}")


class TranslationCitationInline(admin.TabularInline):
    model = TranslationCitation
    formset = CitationFormSet
    fields = ["position", "text", "url", "doi", "pmid", "in_english"]
    extra = 1
    formfield_overrides = CitationInline.formfield_overrides


class TranslationForm(ReviewedTextForm):
    class Meta:
        model = ArticleTranslation
        fields = [
            "article", "language", "status", "title", "summary", "key_points", "body",
            "hero_alt", "translator", "reviewer", "published_at", "revised_on",
            "last_reviewed", "next_review",
        ]  # fmt: skip
        widgets = {"key_points": forms.Textarea(attrs={"rows": 5})}


class TranslationReviewDueFilter(ReviewDueFilter):
    def subset(self):
        return ArticleTranslation.objects.review_due()


@admin.register(ArticleTranslation)
class ArticleTranslationAdmin(ReviewedTextAdmin):
    """A translation is edited, reviewed and published like an article, on its own."""

    form = TranslationForm
    list_display = ["title", "article", "language", "status", "translator", "last_reviewed"]
    list_filter = ["language", "status", TranslationReviewDueFilter]
    list_select_related = ["article", "translator", "reviewer"]
    search_fields = ["title", "summary", "article__title"]
    autocomplete_fields = ["article", "translator", "reviewer"]
    inlines = [TranslationCitationInline]
    fieldsets = [
        (
            None,
            {
                "fields": ["article", "language", "status", "title", "summary"],
                "description": (
                    "Written for readers of the language, not word for word; the same "
                    "publishing rules as the original, with the Spanish readability formulas."
                ),
            },
        ),
        ("Text", {"fields": ["key_points", "body", "hero_alt"]}),
        (
            "People and dates",
            {
                "fields": [
                    "translator",
                    "reviewer",
                    "published_at",
                    "revised_on",
                    "last_reviewed",
                    "next_review",
                ]
            },
        ),
    ]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(SimpleHistoryAdmin):
    list_display = ["term", "slug"]
    search_fields = ["term", "also_matches", "definition"]
    prepopulated_fields = {"slug": ["term"]}
    fields = [
        "term",
        "slug",
        "definition",
        "also_matches",
        "term_es",
        "definition_es",
        "also_matches_es",
    ]
