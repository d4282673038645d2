"""Forms anyone may post (reports, suggestions, practice updates): guarded without cookies.

- Cross-site posts. Anonymous visitors get no cookies, so there is no CSRF
  cookie to check. Instead a POST is refused when the browser says it came
  from another site: Sec-Fetch-Site (sent by every current browser) or, from
  older ones, Origin. This is the token-less check of Go's
  CrossOriginProtection; what a forged post could do here is add spam under a
  visitor's address, and this stops it.
- Bots, without a CAPTCHA from another host: a honeypot field people never
  see, and a signed start time, so a post faster than a person can type, or
  from a form older than a day, is sent back with the data kept.
- Floods: at most FORM_RATE_LIMIT posts to one form from one address
  (django-ratelimit, in the shared cache, so every server counts together).
  The address is only ever part of a keyed hash in the cache, never stored.
"""

import time
from datetime import timedelta
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.core import signing
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView
from django_ratelimit.core import get_usage

from core.security import client_ip

# A form left open longer than this is sent back to be posted again.
TOKEN_MAX_AGE_SECONDS = 24 * 60 * 60
HONEYPOT = "homepage"
STARTED = "started"

# English here (tests compare with them); translated where they are raised.
NOT_CHECKED = gettext_noop(
    "This form could not be checked (it may have been open for more than a day). "
    "Nothing was sent: please check it and send it again."
)
TOO_FAST = gettext_noop(
    "That was faster than a person can fill in a form. "
    "Nothing was sent: please check it and send it again."
)
HONEYPOT_FILLED = gettext_noop(
    "Nothing was sent: the form had an extra field filled in that should stay empty. "
    "Please send it again."
)


def form_token(form_name: str, *, issued_at: float | None = None) -> str:
    """A signed note of when the form `form_name` was shown."""
    issued = time.time() if issued_at is None else issued_at
    return signing.dumps({"t": round(issued, 3)}, salt=f"public-form:{form_name}")


def token_age(form_name: str, token: str) -> float | None:
    """Seconds since `token` was issued for `form_name`; None if it is not ours."""
    try:
        payload = signing.loads(token, salt=f"public-form:{form_name}")
        return time.time() - float(payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


class GuardedForm(forms.Form):
    """A public form with a honeypot and a minimum fill time.

    Mix it first into a Form or ModelForm; render `form.guard_fields` inside
    the <form> (templates/includes/form_guard.html does).
    """

    form_name: ClassVar[str]

    homepage = forms.CharField(
        required=False,
        label=gettext_lazy("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def guard_token(self) -> str:
        """The start time to carry on: the posted one while still good, else now."""
        posted = self.data.get(STARTED, "") if self.is_bound else ""
        age = token_age(self.form_name, posted) if posted else None
        if age is not None and 0 <= age < TOKEN_MAX_AGE_SECONDS:
            return posted
        return form_token(self.form_name)

    def full_clean(self):
        super().full_clean()
        # Tie each field with an error to its message (ids from core.templatetags.form_fields),
        # so a screen reader reads the message with the field.
        for name in self.errors:
            if name in self.fields:
                bound = self[name]
                ids = [f"{bound.auto_id}_error"]
                if bound.help_text:
                    ids.append(f"{bound.auto_id}_helptext")
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)

    def clean(self):
        cleaned_data = super().clean()
        if self.data.get(HONEYPOT):
            raise forms.ValidationError(gettext(HONEYPOT_FILLED), code="honeypot")
        age = token_age(self.form_name, self.data.get(STARTED, ""))
        if age is None or age > TOKEN_MAX_AGE_SECONDS:
            raise forms.ValidationError(gettext(NOT_CHECKED), code="token")
        if age < settings.FORM_MIN_FILL_SECONDS:
            raise forms.ValidationError(gettext(TOO_FAST), code="too_fast")
        return cleaned_data


def cross_site(request) -> bool:
    """Did a browser send this request from a page of another site?"""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        # "none": typed or bookmarked; same-site would let a sibling subdomain post.
        return fetch_site not in {"same-origin", "none"}
    origin = request.headers.get("Origin")
    if origin is None:
        return False  # not a browser's cross-origin post (browsers send Origin on those)
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return False
    own = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
    return origin != own


def rate_key(group: str, request) -> str:
    # A keyed hash: the cache never holds an address that could be read back.
    return salted_hmac("public-form-rate", client_ip(request) or "").hexdigest()


def seconds_until_allowed(request, group: str) -> int | None:
    """Count this post; if it is one too many, the seconds until posting is allowed again."""
    usage = get_usage(
        request,
        group=group,
        key=rate_key,
        rate=settings.FORM_RATE_LIMIT,
        method="POST",
        increment=True,
    )
    if usage is not None and usage["should_limit"]:
        return max(int(usage["time_left"]), 1)
    return None


class PublicFormView(FormView):
    """GET shows the form; POST files it and redirects to a thank-you page.

    Answers 403 to a cross-site post, 429 (the form kept, with when to try
    again) to one post too many, 400 with the errors by their fields to bad input.
    """

    http_method_names = ["get", "head", "post"]
    form_class: type[GuardedForm]

    @classmethod
    def as_view(cls, **initkwargs):
        # Around the whole view, so a subclass's own dispatch() cannot drop them:
        # post() checks the origin instead of a cookie, and no page is cached.
        return never_cache(csrf_exempt(super().as_view(**initkwargs)))

    def post(self, request, *args, **kwargs):
        if cross_site(request):
            return self.render_to_response(
                self.get_context_data(form=self.get_form(), cross_site=True), status=403
            )
        wait = seconds_until_allowed(request, f"form:{self.form_class.form_name}")
        if wait is not None:
            retry_at = timezone.localtime() + timedelta(seconds=wait)
            context = self.get_context_data(
                form=self.get_form(), retry_minutes=max(1, round(wait / 60)), retry_at=retry_at
            )
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        self.file(form)
        return HttpResponseRedirect(self.get_success_url(), status=303)

    def file(self, form) -> Any:
        """Store what was sent (subclasses)."""
        raise NotImplementedError
