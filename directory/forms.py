from django import forms

from directory.models import Condition


class SearchForm(forms.Form):
    """The patient's search: what for, and near where."""

    condition = forms.ModelChoiceField(
        queryset=Condition.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="Any condition",
        label="Condition",
    )
    near = forms.CharField(
        max_length=100,
        required=False,
        label="Location",
        help_text="A ZIP code or City, ST",
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "placeholder": "e.g. 78701 or Austin, TX"}
        ),
    )
