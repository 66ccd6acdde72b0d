"""The index's one form: read a forum again (optionally starting over a sync under way)."""

from __future__ import annotations

from django import forms


class SyncForm(forms.Form):
    restart = forms.BooleanField(
        required=False,
        label="Start over",
        help_text="Read the forum from its first page again, even if a read is under way.",
    )
