from __future__ import annotations

from django import forms


class AuditFilterForm(forms.Form):
    actor = forms.IntegerField(required=False)
    forum = forms.IntegerField(required=False)
    action = forms.CharField(required=False, max_length=64)
