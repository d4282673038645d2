"""{% form_field %}: a form's field as every form of the site draws it."""

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString, mark_safe

from core.html import escaped

register = template.Library()


@register.simple_tag
def form_field(field: BoundField) -> SafeString:
    """`field` in its <div class="field">: its label, its help text, its widget and its
    errors, the help and the errors with the ids that core.public_forms ties to the
    widget (aria-describedby), so that a screen reader reads them with it.

    Drawn here rather than by an included template: the search form draws six fields
    at every search, and the include and its lookups took longer than the widgets.
    """
    auto_id = escaped(field.auto_id)
    errors = field.errors
    helps = ""
    if field.help_text:
        helps = f'<p class="field__help" id="{auto_id}_helptext">{escaped(field.help_text)}</p>'
    told = ""
    if errors:
        each = " ".join(escaped(error) for error in errors)
        told = f'<p class="field__error" id="{auto_id}_error">{each}</p>'
    return mark_safe(  # noqa: S308 - every value is escaped, and the widget is Django's HTML
        f'<div class="field{" field--error" if errors else ""}">\n'
        f'  <label for="{escaped(field.id_for_label)}">{escaped(field.label)}</label>\n'
        f"  {helps}\n  {field}\n  {told}\n</div>\n"
    )
