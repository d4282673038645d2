"""The Spanish catalogue is complete: every message that `makemessages` extracts from the
code today is in locale/es/LC_MESSAGES and translated, nothing is left fuzzy, and the
catalogues compile with their placeholders and plural forms checked."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"
# What makemessages reads: the apps, the project package, the templates and the scripts.
SOURCES = ["manage.py", "ketanet", "core", "directory", "articles", "templates", "static/js"]
# Left in English, as `make messages` leaves them (I18N_IGNORE in the Makefile).
IGNORED = [
    "templates/admin/*", "*/admin.py", "*/admin_*.py", "*_admin.py", "*/management/*",
]  # fmt: skip


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The catalogues makemessages makes from a copy of the code (the real ones untouched)."""
    root = tmp_path_factory.mktemp("project")
    base = Path(settings.BASE_DIR)
    for name in SOURCES:
        source = base / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, root / name)
    (root / "locale").mkdir()
    env = {**os.environ, "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "ketanet.settings"}
    env.pop("DATABASE_URL", None)
    for domain in ("django", "djangojs"):
        subprocess.run(
            [
                *(sys.executable, "manage.py", "makemessages", "-l", "es", "-d", domain, "-v", "0"),
                *(f"--ignore={pattern}" for pattern in IGNORED),
            ],
            cwd=root,
            env=env,
            check=True,
        )
    return root / "locale" / "es" / "LC_MESSAGES"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_message_in_the_code_is_translated(extracted, domain):
    # msgcmp: each message of the fresh extraction must be in the catalogue, translated.
    result = subprocess.run(
        ["msgcmp", str(LOCALE / f"{domain}.po"), str(extracted / f"{domain}.po")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_no_translation_is_left_fuzzy_and_every_one_compiles(domain, tmp_path):
    catalogue = str(LOCALE / f"{domain}.po")
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-obsolete", catalogue],
        capture_output=True,
        text=True,
        check=True,
    )
    assert fuzzy.stdout == ""
    # --check: placeholders match their msgid's, plural forms are declared and used.
    subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "out.mo"), catalogue], check=True)


def test_the_catch_works(extracted, tmp_path):
    # Guards the test above: a catalogue missing one message fails the comparison.
    partial = tmp_path / "partial.po"
    full = (LOCALE / "django.po").read_text()
    entry = '\nmsgid "Find treatment"\n'
    assert entry in full
    start = full.index(entry)
    end = full.index("\n\n", start + 1)
    partial.write_text(full[:start] + full[end:])
    result = subprocess.run(
        ["msgcmp", str(partial), str(extracted / "django.po")], capture_output=True, text=True
    )
    assert result.returncode != 0
