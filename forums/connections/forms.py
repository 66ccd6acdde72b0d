from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django import forms
from django.forms import BoundField
from django.utils.html import format_html, format_html_join

from forums.clients import (
    Setting,
    SettingsProblem,
    client_class,
    platform_choices,
    supported_platforms,
    validate_base_url,
)
from forums.clients.errors import ForumError
from forums.crypto import Sealed
from forums.models import MAX_RATE_WINDOW_SECONDS, ForumConnection

from .services import key_needed_message, key_rebound


def _per_platform(text_of) -> str:
    """One line per platform that has something to say, each marked with its platform so
    the page shows only the chosen one's (all of them without JavaScript)."""
    lines = [(p, client_class(p).software, text_of(client_class(p))) for p in supported_platforms()]
    return format_html_join(
        " ",
        '<span data-platform="{}">{}: {}</span>',
        ((p, software, text) for p, software, text in lines if text),
    )


def setting_field_name(platform: str, name: str) -> str:
    return f"settings__{platform}__{name}"


@dataclass
class SettingsGroup:
    """One platform's own settings on the form: shown while that platform is chosen."""

    platform: str
    software: str
    fields: list[BoundField]


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

    platform = forms.ChoiceField(label="Platform", choices=())

    class Meta:
        model = ForumConnection
        fields = [
            "name",
            "platform",
            "base_url",
            "api_username",
            "api_key",
            "requests_per_minute",
            "rate_window_seconds",
            "enabled",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["platform"]).choices = platform_choices()
        acting = self.fields["api_username"]
        acting.label = "Acting as"
        acting.help_text = _per_platform(
            lambda cls: f"{cls.words.username_label}. {cls.words.username_help}".strip()
        )
        address = self.fields["base_url"]
        own = _per_platform(
            lambda cls: (
                "" if cls.words.address_help == address.help_text else cls.words.address_help
            )
        )
        if own:
            address.help_text = format_html("{} {}", address.help_text, own)
        self._settings_fields: dict[str, list[str]] = {}
        for platform in supported_platforms():
            self._add_settings_fields(platform)
        if self.instance.pk:
            self.fields["api_key"].help_text = (
                f"Stored, ending in …{self.instance.api_key_last4}. "
                "Leave empty to keep it; type a new key to replace it. Changing the software, "
                "address, acting user or the software's own settings needs the key again: a "
                "stored key is only ever sent to the forum it was entered for."
            )
        else:
            self.fields["api_key"].required = True
            self.fields["api_key"].help_text = format_html(
                "{} Stored encrypted; only its last four characters are shown again.",
                _per_platform(lambda cls: cls.words.key_help),
            )
        pace = self.fields["requests_per_minute"]
        pace.widget.attrs["min"] = 1
        own = _per_platform(lambda cls: cls.words.rate_help)
        if own:
            pace.help_text = format_html("{} {}", pace.help_text, own)
        window = self.fields["rate_window_seconds"]
        window.widget.attrs.update(min=1, max=MAX_RATE_WINDOW_SECONDS)
        window.required = False  # empty: as it was, or Discourse's 60 s for a new forum
        self.fields["enabled"].help_text = (
            "Offered on every page once enabled. “Save and test” enables it only when its "
            "test passes."
        )

    # --- the platforms' own settings ---------------------------------------------------------
    def _add_settings_fields(self, platform: str) -> None:
        cls = client_class(platform)
        stored = self.instance.settings if self.instance.platform == platform else {}
        names = []
        for setting in cls.settings_schema:
            name = setting_field_name(platform, setting.name)
            self.fields[name] = self._settings_field(setting, stored.get(setting.name))
            names.append(name)
        self._settings_fields[platform] = names

    @staticmethod
    def _settings_field(setting: Setting, stored) -> forms.Field:
        if setting.kind == "flag":
            return forms.BooleanField(
                label=setting.label, help_text=setting.help, required=False, initial=bool(stored)
            )
        if not setting.secret:
            return forms.CharField(
                label=setting.label, help_text=setting.help, required=False, initial=stored
            )
        help_text = setting.help
        if isinstance(stored, Sealed):
            # Write-only: never rendered back, only its hint.
            help_text = f"Stored, ending in …{stored.hint}. Leave empty to keep it. {help_text}"
        return forms.CharField(
            label=setting.label,
            help_text=help_text.strip(),
            required=False,
            strip=True,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        )

    def settings_groups(self) -> list[SettingsGroup]:
        return [
            SettingsGroup(p, client_class(p).software, [self[name] for name in names])
            for p, names in self._settings_fields.items()
            if names
        ]

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
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
        platform = data.get("platform")
        data["settings"] = {}
        if platform in supported_platforms():
            prefix = setting_field_name(platform, "")
            given = {
                name.removeprefix(prefix): data.get(name)
                for name in self._settings_fields.get(platform, [])
            }
            stored = self.instance.settings if self.instance.platform == platform else None
            try:
                checked = client_class(platform).validate_settings(
                    base_url=data.get("base_url") or "",
                    api_username=data.get("api_username") or "",
                    settings=given,
                    stored=stored,
                )
            except SettingsProblem as exc:
                for field, message in exc.errors.items():
                    if field in given:
                        field = prefix + field
                    self.add_error(field if field in self.fields else None, message)
            else:
                data["api_username"] = checked["api_username"]
                data["settings"] = checked["settings"]
        if self.instance.pk and not data.get("api_key"):
            # self.instance still holds the stored values here (the form writes them later).
            new = {f: v for f, v in data.items() if f not in self.errors}
            rebound = key_rebound(stored=self.instance, new=new)
            if rebound:
                self.add_error("api_key", key_needed_message(rebound))
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        return {key: data[key] for key in [*self.Meta.fields, "settings"]}
