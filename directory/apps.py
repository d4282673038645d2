from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory"

    def ready(self):
        from core.cache import bump_content_version
        from directory.models import (
            Condition,
            Language,
            Location,
            PaymentOption,
            PrescriberType,
            Provider,
            Treatment,
            Verification,
            copy_after_term_deleted,
            copy_location_provider,
            copy_provider_to_locations,
            copy_terms_to_locations,
        )
        from directory.reference import forget_reference

        # Everything a profile shows (pages are kept under the version: core.cache).
        # A verification's method is on the profile ("Verified on … (by phone)").
        terms = (Condition, Treatment, PaymentOption, PrescriberType, Language)
        for model in (Provider, Location, Verification, *terms):
            for signal in (post_save, post_delete):
                signal.connect(bump_content_version, sender=model, dispatch_uid=f"bump-{model}")
        # The other relations change only along with a save of the provider (the
        # admin, imports, proposals), which counts the version up.
        for relation in ("conditions", "treatments", "serves_states"):
            through = getattr(Provider, relation).through
            m2m_changed.connect(
                bump_content_version, sender=through, dispatch_uid=f"bump-{relation}"
            )
        # The locations' copies of what a search filters on of their provider.
        post_save.connect(copy_provider_to_locations, sender=Provider, dispatch_uid="copy-p")
        post_save.connect(copy_location_provider, sender=Location, dispatch_uid="copy-l")
        for relation in ("conditions", "treatments", "payment_options", "languages"):
            through = getattr(Provider, relation).through
            m2m_changed.connect(
                copy_terms_to_locations, sender=through, dispatch_uid=f"copy-{relation}"
            )
        for model in (Condition, Treatment):
            post_delete.connect(
                copy_after_term_deleted, sender=model, dispatch_uid=f"copy-{model.__name__}-del"
            )
        for model in (Condition, Treatment):
            post_save.connect(
                forget_reference, sender=model, dispatch_uid=f"forget-{model.__name__}"
            )
            post_delete.connect(
                forget_reference, sender=model, dispatch_uid=f"forget-{model.__name__}-del"
            )
