"""The search form's widgets, drawing in Python what Django's widget templates draw.

Through the templates (one per option and check box), the search form's controls
cost a search more than its validation and its SQL. tests/directory/test_search_page.py
checks that each draws exactly what Django's own template draws.
"""

from typing import Any

from django import forms
from django.forms.widgets import Input
from django.utils.safestring import SafeString, mark_safe

from core.html import escaped


def html_attrs(attrs: dict[str, Any]) -> str:
    """A widget's attributes as Django's django/forms/widgets/attrs.html writes them."""
    return "".join(
        f" {escaped(name)}" + ("" if value is True else f'="{escaped(value)}"')
        for name, value in attrs.items()
        if value is not False
    )


class DrawnInput(Input):
    """An <input> as Django's input.html draws it."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else f' value="{escaped(widget["value"])}"'
        return mark_safe(  # noqa: S308 - the name, value and attributes are escaped
            f'<input type="{widget["type"]}" name="{escaped(name)}"{shown}'
            f"{html_attrs(widget['attrs'])}>"
        )


class TextInput(DrawnInput, forms.TextInput):
    pass


class NumberInput(DrawnInput, forms.NumberInput):
    pass


class HiddenInput(DrawnInput, forms.HiddenInput):
    pass


class ListSelect(forms.Select):
    """A select as Django's select.html draws it, without optgroups (a search page draws
    four, with forty options: a template per option cost more than the search's SQL)."""

    def use_required_attribute(self, initial: Any) -> bool:
        # Django's asks whether the first option is empty, building the options once more
        # (for a field that is not required, and so never gets the attribute).
        return self.is_required and super().use_required_attribute(initial)

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        chosen = self.format_value(value)
        options = []
        has_selected = False  # only the first option of a value is selected, as Django does
        for option_value, label in self.choices:
            option_value = "" if option_value is None else option_value
            selected = not has_selected and str(option_value) in chosen
            has_selected |= selected
            options.append(
                f'\n  <option value="{escaped(option_value)}"'
                f"{' selected' if selected else ''}>{escaped(label)}</option>"
            )
        return mark_safe(  # noqa: S308 - the name, attributes, values and labels are escaped
            f'<select name="{escaped(name)}"'
            f"{html_attrs(self.build_attrs(self.attrs, attrs))}>{''.join(options)}\n</select>"
        )


class CheckList(forms.CheckboxSelectMultiple):
    """Check boxes, each with its label, as templates/includes/checks.html draws them
    (without groups)."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = self.format_value(value)
        # The bound field asks for aria-invalid when it has errors, as checks.html does.
        invalid = ' aria-invalid="true"' if attrs.get("aria-invalid") else ""
        boxes = []
        for index, (box_value, label) in enumerate(self.choices):
            box_id = escaped(self.id_for_label(attrs.get("id", ""), str(index)))
            checked = " checked" if str(box_value) in chosen else ""
            boxes.append(
                f'<div class="check"><input type="checkbox" name="{escaped(name)}"'
                f' value="{escaped(box_value)}" id="{box_id}"{checked}{invalid}>'
                f'<label for="{box_id}">{escaped(label)}</label></div>'
            )
        return mark_safe("".join(boxes))  # noqa: S308 - escaped above


class OneCheckbox(DrawnInput, forms.CheckboxInput):
    """A checkbox that submits accepting=1 and hands the form the raw value to validate."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"value": "1", **(attrs or {})}, check_test=lambda value: value == "1")

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)
