"""System checks for the rules core's base classes rely on."""

from django.apps import apps
from django.core import checks

from core.history import History, VersionedModel


@checks.register(checks.Tags.models)
def versioned_models_keep_history(app_configs=None, **kwargs):
    """A VersionedModel without a History cannot name who saved over an editor's form."""
    if app_configs is None:
        models = apps.get_models()
    else:
        models = [model for config in app_configs for model in config.get_models()]
    return missing_history(models)


def missing_history(models):
    """An error for each VersionedModel among `models` that keeps no history."""
    errors = []
    for model in models:
        if not issubclass(model, VersionedModel):
            continue
        if not isinstance(getattr(model, "_history_records", None), History):
            errors.append(
                checks.Error(
                    f"{model._meta.label} is a VersionedModel without a history.",
                    hint="Add `history = History()` (core.history) to the model.",
                    obj=model,
                    id="core.E001",
                )
            )
    return errors
