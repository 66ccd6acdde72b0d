from __future__ import annotations

from django import forms

from .clients import supported_platforms, validate_base_url
from .clients.errors import ForumError
from .models import ForumConnection, Platform


class ConnectionForm(forms.ModelForm):
    """Add or edit a connection. The key is write-only: never rendered back."""

    base_url = forms.URLField(
        label="Address",
        max_length=300,
        assume_scheme="https",
        help_text="The forum's address, e.g. https://forum.example.com",
    )
    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = ForumConnection
        fields = [
            "name",
            "platform",
            "base_url",
            "api_username",
            "api_key",
            "nodebb_master_token",
            "requests_per_minute",
            "enabled",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["platform"].choices = [
            (value, label) for value, label in Platform.choices if value in supported_platforms()
        ]
        if self.instance.pk:
            self.fields["api_key"].help_text = (
                f"Stored, ending in …{self.instance.api_key_last4}. "
                "Leave empty to keep it; type a new key to replace it."
            )
        else:
            self.fields["api_key"].required = True
            self.fields["api_key"].help_text = (
                "Discourse: an admin API key (Admin → API → New key, all users, global). "
                "NodeBB: a token from ACP → Settings → API access. Stored encrypted; "
                "only its last four characters are shown again."
            )
        self.fields["requests_per_minute"].widget.attrs["min"] = 1

    def clean_base_url(self) -> str:
        try:
            return validate_base_url(self.cleaned_data["base_url"])
        except ForumError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict:
        data = super().clean()
        platform = data.get("platform")
        username = (data.get("api_username") or "").strip()
        master = platform == Platform.NODEBB and data.get("nodebb_master_token")
        if master and not username.isdigit():
            self.add_error(
                "api_username",
                "A NodeBB master token acts as a user: give that user's uid (a number), "
                "e.g. 1 for the first administrator.",
            )
        if platform == Platform.DISCOURSE and not username:
            self.add_error(
                "api_username",
                "Discourse needs the username the key acts as (e.g. system).",
            )
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        return {key: data[key] for key in self.Meta.fields}


class AuditFilterForm(forms.Form):
    actor = forms.IntegerField(required=False)
    forum = forms.IntegerField(required=False)
    action = forms.CharField(required=False, max_length=64)
