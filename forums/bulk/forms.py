from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import QueryDict

from forums.connections.selectors import connection_last_healths
from forums.models import BulkAction, ForumConnection
from forums.web.forms import TargetsForm
from forums.web.times import ago

from .kinds import KINDS, Kind


class ConnectionChoiceField(forms.ModelMultipleChoiceField):
    """Forums to choose from, each with its last check's verdict when that failed (read from
    the cache: drawing the form never asks a forum)."""

    healths: dict = {}

    def label_from_instance(self, obj: ForumConnection) -> str:
        report = self.healths.get(obj.pk)
        if report is None or report.ok:
            return obj.name
        when = f" {ago(report.checked_at)}" if report.checked_at else ""
        return f"{obj.name} (last check failed{when}: {report.error})"


class BulkProposeForm(TargetsForm):
    read_upload = False

    connections = ConnectionChoiceField(
        label="Forums",
        queryset=ForumConnection.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.ChoiceField(
        label="Action", choices=[(k.key, k.label) for k in KINDS.values() if k.from_bulk_form]
    )
    field_order = ["connections", "kind", "targets", "accept_junk", "csv_file"]

    def __init__(self, *args: Any, upload_refused: str = "", **kwargs: Any) -> None:
        super().__init__(*args, upload_refused=upload_refused, **kwargs)
        queryset = ForumConnection.objects.filter(enabled=True).defer("api_key")
        connections = cast(ConnectionChoiceField, self.fields["connections"])
        connections.queryset = queryset
        connections.healths = connection_last_healths(connections=list(queryset))
        self.fields["targets"].help_text += (
            " Pasted lines Forumdeck cannot read are listed before anything is proposed; a "
            "file's are listed in the plan, with their line numbers."
        )


def bind_kind_params(
    kind: Kind, data: QueryDict | dict[str, Any] | None
) -> tuple[forms.Form | None, dict[str, Any] | None]:
    """The one place a kind's parameter form is bound: (the form to render, the parameters as
    a plain dict when the form is valid). The service validates that dict again."""
    if kind.form_class is None:
        return None, ({} if data is not None else None)
    form = kind.form_class(data)
    if data is None or not form.is_valid():
        return form, None
    return form, kind.params_from(form.cleaned_data)


def kind_param_forms(
    chosen: Kind | None = None, bound: forms.Form | None = None
) -> list[tuple[str, forms.Form]]:
    """One parameter form per distinct form class, with the kinds that use it; the chosen
    kind's form is the bound one (with its errors), the others blank."""
    seen: dict[type, tuple[list[str], forms.Form]] = {}
    for kind in KINDS.values():
        if kind.form_class is None or not kind.from_bulk_form:
            continue
        if kind.form_class not in seen:
            mine = chosen is not None and chosen.form_class is kind.form_class
            seen[kind.form_class] = ([], bound if bound is not None and mine else kind.form_class())
        seen[kind.form_class][0].append(kind.key)
    return [(" ".join(keys), form) for keys, form in seen.values()]


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class BulkFilterForm(forms.Form):
    state = forms.ChoiceField(
        required=False,
        choices=[
            ("", "All"),
            ("waiting", "Waiting for approval"),
            ("active", "In progress"),
            ("finished", "Finished"),
        ],
    )
    mine = forms.BooleanField(required=False)


STATE_GROUPS = {
    "waiting": [BulkAction.State.PENDING_APPROVAL],
    "active": [BulkAction.State.PLANNING, BulkAction.State.QUEUED, BulkAction.State.RUNNING],
    "finished": list(BulkAction.FINISHED),
}
