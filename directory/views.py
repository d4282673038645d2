from django.shortcuts import render
from django.views.decorators.http import require_safe

from directory.forms import SearchForm


@require_safe
def home(request):
    return render(request, "directory/home.html", {"form": SearchForm()})
