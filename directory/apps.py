from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory"

    def ready(self):
        from directory.models import Condition, Treatment
        from directory.reference import forget_reference

        for model in (Condition, Treatment):
            post_save.connect(
                forget_reference, sender=model, dispatch_uid=f"forget-{model.__name__}"
            )
            post_delete.connect(
                forget_reference, sender=model, dispatch_uid=f"forget-{model.__name__}-del"
            )
