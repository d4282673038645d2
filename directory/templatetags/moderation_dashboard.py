"""The editors' dashboard, as a tag the admin's front page (templates/admin/index.html) uses."""

from django import template

from directory.dashboard import moderation_dashboard as build_dashboard

register = template.Library()


@register.inclusion_tag("admin/directory/dashboard.html", takes_context=True)
def moderation_dashboard(context):
    """The queue's figures for whoever may see the queue; nothing for anyone else."""
    user = context["request"].user
    if not user.has_perm("directory.view_submission"):
        return {"dashboard": None}
    return {
        "dashboard": build_dashboard(),
        "can_view_providers": user.has_perm("directory.view_provider"),
    }
