"""Form pieces the pages share."""

from __future__ import annotations

from typing import Any

from django import forms

from forums.core.fleet import enabled_forums
from forums.models import ForumConnection


class FleetSearchForm(forms.Form):
    """A page that searches the fleet: what to look for (``q``) and which enabled forums to
    ask (``forum``; none ticked asks them all). A page adds its own filters and words."""

    q = forms.CharField(required=False, max_length=100)
    forum = forms.ModelMultipleChoiceField(
        label="Forums",
        required=False,
        queryset=ForumConnection.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = enabled_forums()
