"""Input shape of the professionals' pages; the rules live in services and selectors."""

from django import forms


class ReferencingForm(forms.Form):
    pharmacy = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
