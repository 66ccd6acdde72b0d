from __future__ import annotations

from django import forms

from forums.clients import (
    SettingsProblem,
    client_class,
    platform_choices,
    supported_platforms,
    validate_base_url,
)
from forums.clients.errors import ForumError
from forums.models import MAX_RATE_WINDOW_SECONDS, ForumConnection

from .services import key_needed_message, key_rebound


def _platform_help() -> tuple[str, str]:
    """Per platform, where the key comes from and what the username field means."""
    keys, usernames = [], []
    for platform in supported_platforms():
        cls = client_class(platform)
        keys.append(f"{cls.software}: {cls.words.key_help}")
        if cls.words.username_help:
            usernames.append(f"{cls.software}: {cls.words.username_help}")
    return " ".join(keys), " ".join(usernames)


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
            "rate_window_seconds",
            "enabled",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["platform"].choices = platform_choices()
        key_help, username_help = _platform_help()
        if username_help:
            self.fields["api_username"].help_text = username_help
        if self.instance.pk:
            self.fields["api_key"].help_text = (
                f"Stored, ending in …{self.instance.api_key_last4}. "
                "Leave empty to keep it; type a new key to replace it. Changing the software, "
                "address or API username needs the key again: a stored key is only ever sent "
                "to the forum it was entered for."
            )
        else:
            self.fields["api_key"].required = True
            self.fields[
                "api_key"
            ].help_text = (
                f"{key_help} Stored encrypted; only its last four characters are shown again."
            )
        self.fields["requests_per_minute"].widget.attrs["min"] = 1
        window = self.fields["rate_window_seconds"]
        window.widget.attrs.update(min=1, max=MAX_RATE_WINDOW_SECONDS)
        window.required = False  # empty: as it was, or Discourse's 60 s for a new forum
        self.fields["enabled"].help_text = (
            "Offered on every page once enabled. “Save and test” enables it only when its "
            "test passes."
        )

    def clean_base_url(self) -> str:
        try:
            return validate_base_url(self.cleaned_data["base_url"])
        except ForumError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_rate_window_seconds(self) -> int:
        window = self.cleaned_data.get("rate_window_seconds")
        if window is None:
            return self.instance.rate_window_seconds or 60
        return window

    def clean(self) -> dict:
        data = super().clean()
        platform = data.get("platform")
        if platform in supported_platforms():
            try:
                checked = client_class(platform).validate_settings(
                    base_url=data.get("base_url") or "",
                    api_username=data.get("api_username") or "",
                    master_token=bool(data.get("nodebb_master_token")),
                )
            except SettingsProblem as exc:
                for field, message in exc.errors.items():
                    self.add_error(field if field in self.fields else None, message)
            else:
                data["api_username"] = checked["api_username"]
                data["nodebb_master_token"] = checked["master_token"]
        if self.instance.pk and not data.get("api_key"):
            # self.instance still holds the stored values here (the form writes them later).
            new = {f: v for f, v in data.items() if f not in self.errors}
            rebound = key_rebound(stored=self.instance, new=new)
            if rebound:
                self.add_error("api_key", key_needed_message(rebound))
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        return {key: data[key] for key in self.Meta.fields}
