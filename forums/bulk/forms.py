from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict

from forums.connections.selectors import connection_last_healths
from forums.models import BulkAction, ForumConnection
from forums.web.times import ago

from .kinds import KINDS, Kind
from .targets import Rejected, TargetParser, decoded_pieces, detect_encoding


class TargetsForm(forms.Form):
    """People or topics to act on, pasted or uploaded, read the same way wherever they are
    asked for (the bulk form, a group's members form): lines Forumdeck cannot read stop the
    form and are listed with their line numbers before anything is proposed, until they are
    corrected or the box to leave them out is ticked.

    ``read_upload``: whether an uploaded file is read here too. The bulk form leaves a file
    to its planning task (a list of a million lines must not hold a web request), which
    lists the unreadable lines in the plan with their numbers."""

    read_upload = True

    targets = forms.CharField(
        label="Targets",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 8, "spellcheck": "false", "placeholder": "alice\nbob@example.com, 42"}
        ),
        help_text="Usernames, e-mail addresses or numeric ids: one per line or separated by "
        "commas.",
    )
    csv_file = forms.FileField(
        label="…or a CSV file",
        required=False,
        help_text="A column named username, email or id (or the first column).",
    )
    accept_junk = forms.BooleanField(
        required=False, label="Leave out the lines listed above and propose the rest"
    )

    def __init__(self, *args: Any, upload_refused: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "csv_file"
        ].help_text += f" At most {settings.FORUMDECK_MAX_UPLOAD_BYTES / (1024 * 1024):g} MB."
        self.upload_refused = upload_refused
        self.csv_encoding = ""
        self.junk: list[Rejected] = []
        self.junk_count = 0

    def clean_csv_file(self) -> UploadedFile | None:
        """The upload, checked to be text (read in pieces, never whole)."""
        if self.upload_refused:
            raise forms.ValidationError(self.upload_refused)
        upload = self.cleaned_data.get("csv_file")
        if not upload:
            return None
        if upload.size > settings.FORUMDECK_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is larger than "
                f"{settings.FORUMDECK_MAX_UPLOAD_BYTES / (1024 * 1024):g} MB."
            )
        encoding = detect_encoding(upload)
        if encoding is None:
            raise forms.ValidationError("The file is not text (CSV) Forumdeck can read.")
        self.csv_encoding = encoding
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data  # None keeps cleaned_data
        text, upload = data.get("targets") or "", data.get("csv_file")
        if not text.strip() and not upload:
            if "csv_file" not in self.errors:
                raise forms.ValidationError("Paste targets or upload a CSV file.")
            return data
        read = upload if upload and self.read_upload else None
        if upload and not read:
            return data  # the planning task reads the file and lists what it cannot read
        # Read once here, in pieces, only to find what cannot be read: the lines are listed
        # before anything is proposed (the planning task reads the stored list again).
        parser = TargetParser(csv=read is not None, keep=50)
        pieces = decoded_pieces(read, self.csv_encoding) if read else [text]
        usable = sum(1 for _ in parser.targets(pieces))
        if read:
            read.seek(0)
        self.junk, self.junk_count = parser.junk, parser.junk_count
        if not usable:
            raise forms.ValidationError("No line names a target Forumdeck can look up.")
        if parser.junk_count and not data.get("accept_junk"):
            raise forms.ValidationError(
                f"{parser.junk_count} line(s) cannot be read (listed below): correct them, or "
                "tick the box to leave them out. Nothing was proposed."
            )
        return data


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
