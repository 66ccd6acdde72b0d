from __future__ import annotations

from django import forms


class AuditFilterForm(forms.Form):
    actor = forms.IntegerField(required=False)
    forum = forms.IntegerField(required=False)
    action = forms.CharField(required=False, max_length=64)
    q = forms.CharField(
        label="Target or person",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "A username, a forum, bulk action #12…"}
        ),
    )
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end of the range comes before its start.")
        return data
