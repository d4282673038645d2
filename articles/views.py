import django_filters
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from articles.models import Article, Person
from core.cache import cache_anonymous, public_page
from directory.filters import condition_choices


class ArticleFilter(django_filters.FilterSet):
    condition = django_filters.ChoiceFilter(
        choices=condition_choices, field_name="conditions__slug", empty_label="All conditions"
    )

    class Meta:
        model = Article
        fields = ["condition"]


@require_safe
@public_page
@cache_anonymous
def article_index(request):
    articles = Article.objects.published().select_related("author", "reviewer")
    filterset = ArticleFilter(request.GET or None, queryset=articles)
    status = 200 if not filterset.is_bound or filterset.is_valid() else 400
    return render(
        request,
        "articles/index.html",
        {"filterset": filterset, "articles": filterset.qs if status == 200 else []},
        status=status,
    )


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
def editorial_policy(request):
    return render(request, "articles/editorial_policy.html")
