"""Start-up refuses a versioned model that keeps no history (core.E001)."""

from django.core import checks
from django.db import models
from django.test.utils import isolate_apps

from articles.models import Article
from core.checks import missing_history
from core.history import VersionedModel
from directory.models import Provider


@isolate_apps("directory")
def test_a_versioned_model_without_history_is_an_error():
    class Unrecorded(VersionedModel):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "directory"

    [error] = missing_history([Unrecorded])

    assert error.id == "core.E001"
    assert error.level == checks.ERROR
    assert "directory.Unrecorded is a VersionedModel without a history" in error.msg


def test_the_versioned_models_keep_history():
    # (A model declared here with History() would register its historical
    # model in the project's app registry for the rest of the run.)
    assert missing_history([Provider, Article]) == []


def test_the_project_passes_its_own_check():
    errors = checks.run_checks(tags=[checks.Tags.models])

    assert [error for error in errors if error.id == "core.E001"] == []
