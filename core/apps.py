from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares and nothing app-specific; imports neither app."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from core import checks  # noqa: F401 - registers the system checks
