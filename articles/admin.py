from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from articles.models import Article, Citation, Person, hero_image_choices
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
        article = self.instance
        if article.status != Article.Status.PUBLISHED or any(self.errors):
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


class ArticleForm(VersionedForm):
    class Meta:
        model = Article
        fields = [
            "title", "slug", "status", "summary", "body", "hero_image", "hero_alt", "author",
            "reviewer", "published_at", "revised_on", "last_reviewed", "conditions", "related",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hero_image"] = forms.ChoiceField(
            choices=[("", "No image"), *hero_image_choices()],
            required=False,
            help_text=Article._meta.get_field("hero_image").help_text,
        )

    def _post_clean(self):
        # Citations are checked by CitationFormSet against the ones being saved.
        self.instance.citations_checked_by_form = True
        super()._post_clean()  # type: ignore[misc]  # ModelForm has it; the stubs omit it


class ReviewDueFilter(SubsetFilter):
    title = "medical review"
    parameter_name = "review"
    inside = ("due", "Review due (over 12 months)")
    outside = ("current", "Reviewed in 12 months")

    def subset(self):
        return Article.objects.review_due()


@admin.register(Article)
class ArticleAdmin(VersionedAdmin):
    form = ArticleForm
    list_display = ["title", "status", "author", "reviewer", "last_reviewed", "revised_on"]
    list_filter = ["status", "reviewer", ReviewDueFilter, "conditions"]
    list_select_related = ["author", "reviewer"]
    search_fields = ["title", "summary"]
    autocomplete_fields = ["author", "reviewer", "conditions", "related"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [CitationInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "summary", "body"]}),
        ("Picture", {"fields": ["hero_image", "hero_alt"]}),
        (
            "People and dates",
            {"fields": ["author", "reviewer", "published_at", "revised_on", "last_reviewed"]},
        ),
        ("Connections", {"fields": ["conditions", "related"]}),
    ]
