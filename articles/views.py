import django_filters
from django.db.models import Prefetch, Q
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from articles.models import Article, GlossaryTerm, Person
from core.cache import cache_anonymous, private_page, public_page
from directory.filters import condition_choices

SEARCH_MAX_LENGTH = 100


class ArticleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", max_length=SEARCH_MAX_LENGTH, label="Search the articles"
    )
    condition = django_filters.ChoiceFilter(
        choices=condition_choices, field_name="conditions__slug", empty_label="All conditions"
    )

    class Meta:
        model = Article
        fields = ["q", "condition"]

    def search(self, queryset, name, value):
        return queryset.search(value) if value.strip() else queryset


@require_safe
@cache_anonymous
def article_index(request):
    articles = Article.objects.published().select_related("reviewer").prefetch_related("conditions")
    filterset = ArticleFilter(request.GET or None, queryset=articles)
    valid = not filterset.is_bound or filterset.is_valid()
    found = list(filterset.qs) if valid else []
    searched = filterset.is_bound and valid and bool(filterset.form.cleaned_data["q"].strip())
    context = {
        "filterset": filterset,
        "searched": searched,
        "articles": found,
        # Without a search, the articles about each condition come first, then the guides.
        "by_condition": sorted(
            (a for a in found if a.kind == Article.Kind.CONDITION),
            key=lambda a: (a.condition_names, a.title),
        ),
        "guides": sorted((a for a in found if a.kind == Article.Kind.GUIDE), key=lambda a: a.title),
    }
    response = render(request, "articles/index.html", context, status=200 if valid else 400)
    # The index may sit in shared caches; what a patient searched for stays in their browser.
    cache = private_page if filterset.is_bound and request.GET.get("q") else public_page
    return cache(lambda request: response)(request)


@require_safe
@public_page
@cache_anonymous
def article_detail(request, slug):
    article = get_object_or_404(
        Article.objects.visible_to(request.user)
        .select_related("author", "reviewer")
        .prefetch_related(
            "citations",
            "conditions",
            "corrections",
            Prefetch("related", queryset=Article.objects.published().order_by("title")),
        ),
        slug=slug,
    )
    return render(request, "articles/detail.html", {"article": article})


@require_safe
@public_page
@cache_anonymous
def person_detail(request, slug):
    person = get_object_or_404(Person, slug=slug)
    articles = (
        Article.objects.published()
        .filter(Q(author=person) | Q(reviewer=person))
        .select_related("author", "reviewer")
        .order_by("-published_at")
    )
    return render(request, "articles/person.html", {"person": person, "articles": articles})


@require_safe
@public_page
@cache_anonymous
def glossary(request):
    # Case-insensitive, so "mTOR" sits among the other M's.
    terms = GlossaryTerm.objects.order_by(Lower("term"))
    return render(request, "articles/glossary.html", {"terms": terms})


@require_safe
@public_page
@cache_anonymous
def editorial_policy(request):
    return render(request, "articles/editorial_policy.html")
