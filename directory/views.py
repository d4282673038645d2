from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from directory.forms import SearchForm
from directory.models import Provider


@require_safe
def home(request):
    return render(request, "directory/home.html", {"form": SearchForm()})


@require_safe
def provider_detail(request, slug):
    provider = get_object_or_404(
        Provider.objects.visible_to(request.user).prefetch_related(
            "locations", "conditions", "treatments", "serves_states"
        ),
        slug=slug,
    )
    return render(request, "directory/provider_detail.html", {"provider": provider})
