"""Tags: the search, the rename / merge / delete / create forms, the retag form and the tag
group form. Forms validate; the services act."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms

from forums.core.fleet import enabled_forums
from forums.models import ForumConnection
from forums.web.confirm import TypedConfirmation
from forums.web.forms import FleetSearchForm

FILTERS = [("", "All tags"), ("unused", "Unused (no topics)"), ("one", "On one forum only")]
_SPLIT = re.compile(r"[,\s]+")


def names(text: str) -> list[str]:
    return list(dict.fromkeys(t for t in _SPLIT.split(text or "") if t))


class TagSearchForm(FleetSearchForm):
    q = forms.CharField(label="Tag", required=False, max_length=100)
    show = forms.ChoiceField(label="Show", required=False, choices=FILTERS)


class ForumsForm(forms.Form):
    """Which forums a change goes to: the choices are the forums where it can happen."""

    connections = forms.TypedMultipleChoiceField(
        label="On", coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        choices: list[tuple[int, str]],
        scopes: list[str] | None = None,
        scope_help: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["connections"]).choices = choices
        self.fields["connections"].initial = [pk for pk, _ in choices]
        every = (
            "every forum of the project that lacks it"
            if isinstance(self, CreateForm)
            else "every forum of the project that has it"
        )
        if scopes:
            # A forum whose tags live per space (a UserEcho project's forums): one space only,
            # or every space that has the tag.
            self.fields["scope"] = forms.ChoiceField(
                label="Only in",
                required=False,
                choices=[("", every),
                         *((s, s) for s in scopes)],
                help_text=scope_help,
            )  # fmt: skip

    def chosen(self) -> list[ForumConnection]:
        wanted = self.cleaned_data.get("connections") or []
        return list(enabled_forums().filter(pk__in=wanted))


class RenameForm(ForumsForm):
    new_name = forms.CharField(label="New name", max_length=100)


class MergeForm(ForumsForm):
    into = forms.CharField(
        label="Merge into",
        max_length=100,
        help_text="The tag that stays; this one's topics move to it.",
    )


class DeleteForm(TypedConfirmation, ForumsForm):
    mismatch = "Type the tag's name exactly (“{phrase}”)."

    def __init__(self, *args: Any, tag: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tag = tag
        self.require_phrase(tag)


class CreateForm(ForumsForm):
    name = forms.CharField(label="Tag", max_length=100)
    field_order = ["connections", "name"]


class ConfirmDeleteForm(TypedConfirmation, forms.Form):
    mismatch = "Type {phrase} to confirm."

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.require_phrase("DELETE", help_text="This cannot be undone.")


class RetagForm(ForumsForm):
    """Which topics (every topic with a tag, or pasted addresses / ids) and what changes."""

    SOURCES = [("tag", "Every topic with the tag"), ("pasted", "These topics")]

    source = forms.ChoiceField(label="Topics", choices=SOURCES, widget=forms.RadioSelect,
                               initial="tag")  # fmt: skip
    tag = forms.CharField(label="Tag", max_length=100, required=False)
    topics = forms.CharField(
        label="Topic addresses or ids",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text="One per line. A bare id needs exactly one forum ticked.",
    )
    add = forms.CharField(label="Add tags", required=False, max_length=500,
                          help_text="Separated by commas or spaces.")  # fmt: skip
    remove = forms.CharField(label="Remove tags", required=False, max_length=500)
    replace = forms.BooleanField(
        label="Replace: each topic keeps only the tags to add",
        required=False,
        help_text="With no tags to add, this clears every tag of each topic.",
    )
    field_order = ["connections", "source", "tag", "topics", "add", "remove", "replace"]

    def __init__(self, *args: Any, picked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if picked:  # the topics were ticked on a tag's page: they say which forums
            for name in ("connections", "source", "tag", "topics"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
        if not data.get("add") and not data.get("remove") and not data.get("replace"):
            raise forms.ValidationError("Say which tags to add or remove.")
        if data.get("source") == "tag" and not (data.get("tag") or "").strip():
            self.add_error("tag", "Say which tag's topics to retag.")
        if data.get("source") == "pasted" and not (data.get("topics") or "").strip():
            self.add_error("topics", "Paste topic addresses or ids.")
        return data

    def kind_params(self) -> dict[str, Any]:
        """The parameters the retag kinds take (their own form cleans them again)."""
        data = self.cleaned_data
        return {
            "add": " ".join(names(data.get("add", ""))),
            "remove": " ".join(names(data.get("remove", ""))),
            "replace": bool(data.get("replace")),
            "tag": (data.get("tag") or "").strip() if data.get("source") == "tag" else "",
        }


class TagGroupForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    tag_names = forms.CharField(
        label="Tags",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Separated by commas or spaces. The whole list is sent every time, so "
        "nothing is emptied by accident.",
    )
    parent_tag_names = forms.CharField(
        label="Parent tag", required=False, max_length=100,
        help_text="Optional: these tags can only be used together with it.",
    )  # fmt: skip
    one_per_topic = forms.BooleanField(label="Limit topics to one tag from this group",
                                       required=False)  # fmt: skip

    def clean_tag_names(self) -> list[str]:
        return names(self.cleaned_data.get("tag_names", ""))

    def clean_parent_tag_names(self) -> list[str]:
        return names(self.cleaned_data.get("parent_tag_names", ""))


class ConfirmNameForm(TypedConfirmation, forms.Form):
    mismatch = "Type the tag group's name exactly (“{phrase}”) to confirm."

    def __init__(self, *args: Any, name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.require_phrase(name, help_text="Its tags stay; only the group goes.")
