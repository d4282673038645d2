"""Every kind of page passes the W3C's Nu HTML Checker (vnu.jar) without errors.

The checker is the npm package vnu-jar (pinned in tests/browser/package.json,
installed by `make test`) and needs Java 11 or later. It takes seconds to start,
so every page goes to one run. Warnings (advice such as "consider adding a lang
attribute") are not failures; errors are.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.conf import settings

from tests.every_page import every_kind_of_page

pytestmark = pytest.mark.django_db

VNU = Path(settings.BASE_DIR) / "tests/browser/node_modules/vnu-jar/build/dist/vnu.jar"


def missing(thing, how):
    """Fail in CI, skip elsewhere, saying how to get what is missing (as tests/browser does)."""
    message = f"{thing} is missing: {how}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def vnu():
    java = shutil.which("java")
    if java is None:
        missing("Java", "install it with `apt-get install default-jre-headless`.")
    if not VNU.exists():
        missing("vnu.jar", "run `make test` (it runs `npm ci` in tests/browser).")
    return [java, "-jar", str(VNU)]


def errors(vnu, pages):
    """The checker's errors for `pages` (path: what to call it), one line each."""
    result = subprocess.run(
        [*vnu, "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Exit status 1 means "errors found"; the report itself goes to stderr.
    assert result.returncode in {0, 1}, result.stderr
    by_name = {path.name: label for path, label in pages.items()}
    return [
        # The checker names each file by a file: URL of its own spelling (file:/tmp/…).
        f"{by_name[Path(unquote(urlsplit(message['url']).path)).name]} "
        f"line {message.get('lastLine', '?')}: {message['message']}\n"
        f"    {message.get('extract', '').strip()}"
        for message in json.loads(result.stderr)["messages"]
    ]


def test_the_checker_reports_an_error_with_its_page_and_line(vnu, tmp_path):
    page = tmp_path / "broken page.html"
    page.write_text("<!doctype html><html lang=en><title>t</title>\n<dl><p>no</p></dl></html>")
    found = errors(vnu, {page: "broken (/broken/)"})
    assert len(found) == 1
    assert found[0].startswith("broken (/broken/) line 2: Element “p” not allowed")


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_kind_of_page_is_valid_html(client, vnu, tmp_path, language):
    pages = {}
    for number, page in enumerate(every_kind_of_page(client, language)):
        path = tmp_path / f"{number:02d}.html"
        path.write_text(page.html)
        pages[path] = f"{page.name} ({page.url})"
    found = errors(vnu, pages)
    assert not found, f"{len(found)} HTML errors:\n" + "\n".join(found)
