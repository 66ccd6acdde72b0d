"""Groups: the search, the create and edit forms, the typed delete confirmation, the members
form (pasted or CSV) and the sync choices. Forms validate; the services act."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from forums.clients import client_class
from forums.core.fleet import enabled_forums
from forums.models import ForumConnection
from forums.web.confirm import TypedConfirmation
from forums.web.forms import FleetSearchForm, TargetsForm

KINDS = [("", "All groups"), ("ordinary", "Ordinary groups"), ("automatic", "Automatic / system")]


class GroupSearchForm(FleetSearchForm):
    q = forms.CharField(label="Name", required=False, max_length=100)
    kind = forms.ChoiceField(label="Kind", required=False, choices=KINDS)


class GroupFieldsForm(forms.Form):
    name = forms.CharField(label="Name", max_length=255)
    full_name = forms.CharField(label="Full name", max_length=100, required=False)
    description = forms.CharField(
        label="Description",
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    visible = forms.BooleanField(
        label="Visible to everyone",
        required=False,
        initial=True,
        help_text="Otherwise only its members and staff see it.",
    )
    private = forms.BooleanField(
        label="Private",
        required=False,
        initial=False,
        help_text="Joining needs an owner's approval. Only forums that have private groups "
        "take it; others ignore it.",
    )

    def check_name(self, connections) -> None:
        """The name rule of each chosen forum's platform, before anything is sent."""
        name = self.cleaned_data.get("name")
        if not name:
            return
        for connection in connections:
            try:
                client_class(connection.platform).check_group_name(name)
            except ValueError as exc:
                self.add_error("name", str(exc))
                return


class GroupCreateForm(GroupFieldsForm):
    connections = forms.ModelMultipleChoiceField(
        label="Forums",
        queryset=ForumConnection.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="One forum: created at once. Several: proposed as one bulk action another "
        "person approves.",
    )
    field_order = ["connections", "name", "full_name", "description", "visible", "private"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        connections = cast(forms.ModelMultipleChoiceField, self.fields["connections"])
        connections.queryset = enabled_forums()
        rules = {
            cls.software: cls.group_name_help
            for c in connections.queryset
            if (cls := client_class(c.platform)).group_name_help
        }
        self.fields["name"].help_text = " ".join(f"{k}: {v}" for k, v in rules.items())
        private = {
            cls.software: cls.group_private_help
            for c in connections.queryset
            if (cls := client_class(c.platform)).group_private_help
        }
        if private:
            self.fields["private"].help_text = " ".join(f"{k}: {v}" for k, v in private.items())
        else:
            del self.fields["private"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
        self.check_name(data.get("connections") or [])
        return data


class GroupEditForm(GroupFieldsForm):
    def __init__(self, *args: Any, connection: ForumConnection, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connection = connection
        cls = client_class(connection.platform)
        self.fields["name"].help_text = cls.group_name_help
        if cls.group_private_help:
            self.fields["private"].help_text = cls.group_private_help
        else:
            del self.fields["private"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
        self.check_name([self.connection])
        return data


class GroupDeleteForm(TypedConfirmation, forms.Form):
    mismatch = "Type the group's name exactly (“{phrase}”) to confirm."

    def __init__(self, *args: Any, name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.require_phrase(
            name,
            label=f"Type {name} to confirm",
            help_text="Deleting a group ends every membership in it. This cannot be undone.",
        )


class MembersForm(TargetsForm):
    """Who to add to (or remove from) the group, on this forum and its namesakes elsewhere."""

    connections = forms.TypedMultipleChoiceField(
        label="On", coerce=int, widget=forms.CheckboxSelectMultiple
    )
    field_order = ["connections", "targets", "csv_file", "accept_junk"]

    def __init__(
        self, *args: Any, choices: list[tuple[int, str]], upload_refused: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, upload_refused=upload_refused, **kwargs)
        self.fields["targets"].label = "People"
        cast(forms.ChoiceField, self.fields["connections"]).choices = choices
        self.fields["connections"].initial = [choices[0][0]] if choices else []


class SyncForm(forms.Form):
    """The source group (any ordinary group on any forum), the target forums, and for each
    target forum which group (default: the source group's namesake)."""

    source = forms.ChoiceField(label="Source group")
    targets = forms.TypedMultipleChoiceField(
        label="Target forums", coerce=int, widget=forms.CheckboxSelectMultiple
    )
    remove = forms.BooleanField(
        required=False,
        label="Also remove members who are not in the source group",
        help_text="Without it, the sync only adds.",
    )

    def __init__(
        self,
        *args: Any,
        sources: list[tuple[str, str]],
        forums: list[ForumConnection],
        groups_by_forum: dict[int, list[tuple[str, str]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.forums = {f.pk: f for f in forums}
        cast(forms.ChoiceField, self.fields["source"]).choices = [("", "Choose a group…"), *sources]
        cast(forms.ChoiceField, self.fields["targets"]).choices = [(f.pk, f.name) for f in forums]
        # The source group's own forum is no target: once the source is known it is not drawn
        # (still a valid choice, so a forged one gets clean()'s message); site.js hides it too
        # as soon as a source is chosen.
        source = str((self.data.get("source") if self.is_bound else None)
                     or self.initial.get("source") or "")  # fmt: skip
        source_pk = source.partition(":")[0]
        self.source_forum = int(source_pk) if source_pk.isdigit() else None
        self.fields["targets"].widget.choices = [
            (f.pk, f.name) for f in forums if f.pk != self.source_forum
        ]
        for forum in forums:
            self.fields[f"group_{forum.pk}"] = forms.ChoiceField(
                label=f"Group on {forum.name}",
                required=False,
                choices=[("", "The source group's namesake"), *groups_by_forum.get(forum.pk, [])],
            )
            self.fields[f"group_{forum.pk}"].widget.attrs["data-sync-forum"] = forum.pk

    @property
    def target_group_fields(self):
        return [self[f"group_{pk}"] for pk in self.forums if pk != self.source_forum]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
        source = data.get("source") or ""
        source_pk, _, source_key = source.partition(":")
        if source and (not source_pk.isdigit() or int(source_pk) not in self.forums):
            self.add_error("source", "Choose the source group again.")
            return data
        if source_pk.isdigit() and int(source_pk) in (data.get("targets") or []):
            self.add_error("targets", "A target forum cannot be the source group's own forum.")
        data["source_connection"] = self.forums.get(int(source_pk)) if source_pk.isdigit() else None
        data["source_key"] = source_key
        return data

    def target_pairs(self, default_key: str) -> list[tuple[ForumConnection, str]]:
        """(forum, the group's key there) for each ticked target forum."""
        return [
            (self.forums[pk], self.cleaned_data.get(f"group_{pk}") or default_key)
            for pk in self.cleaned_data.get("targets") or []
        ]
