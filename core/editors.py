"""The Editors group: who keeps the directory and the articles current.

Each app's data migration grants the group exactly the permissions its editors
need, through grant_editor_permissions(), so the group never has any on users,
groups or permissions.
"""

EDITORS_GROUP = "Editors"


def grant_editor_permissions(apps, app_label, actions_by_model):
    """Give the Editors group `actions` (add, change, delete, view) on `app_label`'s models.

    Runs inside a migration with the historical `apps`: permissions are created
    after migrations by default, so make sure this app's exist first.
    """
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    for model, actions in actions_by_model.items():
        codenames = [f"{action}_{model}" for action in actions]
        permissions = Permission.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )
        if len(permissions) != len(codenames):
            raise RuntimeError(f"Missing permissions for {app_label}.{model}: {codenames}")
        group.permissions.add(*permissions)


def revoke_editor_permissions(apps, app_label):
    """Undo grant_editor_permissions() for one app."""
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=EDITORS_GROUP).first()
    if group:
        group.permissions.remove(*group.permissions.filter(content_type__app_label=app_label))
