"""The admin with the proposals mixin, for tests/directory/test_proposal_apply.py.

Uses the site's own SubmissionAdmin once the moderation queue registers one;
until then a minimal one on a site of its own, beside the real ProviderAdmin.
"""

from django.contrib import admin
from django.urls import path

from directory.admin import ProviderAdmin
from directory.admin_proposals import ProposalAdminMixin
from directory.models import Provider
from directory.submissions import Submission
from ketanet.urls import urlpatterns as site_urlpatterns

if Submission in admin.site._registry:
    site = admin.site
else:

    class SubmissionAdmin(ProposalAdminMixin, admin.ModelAdmin):
        list_display = ["__str__", "status", "confirmation"]
        readonly_fields = ["proposed_changes"]

    site = admin.AdminSite(name="admin")
    site.register(Provider, ProviderAdmin)
    site.register(Submission, SubmissionAdmin)

urlpatterns = [
    path("admin/", site.urls),
    *(pattern for pattern in site_urlpatterns if getattr(pattern, "namespace", None) != "admin"),
]
