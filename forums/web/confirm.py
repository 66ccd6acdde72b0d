"""Typed confirmation for destructive forms, the same everywhere: the phrase to type is in the
label, site.js keeps every ``data-needs-phrase`` button of the form disabled until the field
(``data-confirm-phrase``) holds exactly that phrase, and without JavaScript the server checks
the same phrase (``clean_confirm``). The button comes from ``includes/confirm_submit.html``."""

from __future__ import annotations

from typing import Any

from django import forms

DEFAULT_HELP = "Exactly as shown. This cannot be undone."


def confirm_field(phrase: str, *, label: str = "", help_text: str = DEFAULT_HELP) -> forms.Field:
    return forms.CharField(
        label=label or (f"Type {phrase} to confirm" if phrase else "Type the name to confirm"),
        max_length=255,
        strip=False,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "off",
                **({"data-confirm-phrase": phrase} if phrase else {}),
            }
        ),
    )


class TypedConfirmation:
    """Mixin for a ``forms.Form``: ``require_phrase()`` in ``__init__`` adds the ``confirm``
    field; ``mismatch`` is the error when what was typed differs ({phrase} is filled in)."""

    confirm_phrase = ""
    mismatch = "Type “{phrase}” exactly as shown to confirm."

    def require_phrase(self, phrase: str, **field: Any) -> None:
        self.confirm_phrase = phrase
        self.fields["confirm"] = confirm_field(phrase, **field)  # type: ignore[attr-defined]

    def clean_confirm(self) -> str:
        typed = self.cleaned_data.get("confirm", "")  # type: ignore[attr-defined]
        if typed.strip() != self.confirm_phrase:
            raise forms.ValidationError(self.mismatch.format(phrase=self.confirm_phrase))
        return typed
