"""The review page's filters and its decisions."""

from __future__ import annotations

from django import forms

from forums.clients.records import ReviewKind
from forums.web.forms import FleetSearchForm

from .selectors import KIND_WORDS, MANY, MANY_WORDS


class ReviewSearchForm(FleetSearchForm):
    q = forms.CharField(label="Search text, author or topic", required=False, max_length=100)
    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "Every kind"), *((k.value, KIND_WORDS[k]) for k in ReviewKind)],
    )
    category = forms.CharField(label="Category", required=False, max_length=200)
    reason = forms.CharField(label="Reason", required=False, max_length=300)
    author = forms.CharField(label="Author", required=False, max_length=200)


class DecideForm(forms.Form):
    connection = forms.IntegerField(min_value=1)
    item = forms.CharField(max_length=100)
    action = forms.CharField(max_length=100)
    version = forms.IntegerField(required=False)


class DecideManyForm(forms.Form):
    picked = forms.MultipleChoiceField(required=True, error_messages={
        "required": "Tick the items to decide first."})  # fmt: skip
    decision = forms.ChoiceField(choices=[(k, MANY_WORDS[k]) for k in MANY])

    def __init__(self, *args, keys: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["picked"].choices = [(k, k) for k in keys]  # type: ignore[attr-defined]
