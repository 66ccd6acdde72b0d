"""Form pieces the pages share."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from forums.core.fleet import enabled_forums
from forums.core.targets import Rejected, TargetParser, decoded_pieces
from forums.models import ForumConnection
from forums.web.uploads import CsvUploadField


class ForumsField(forms.ModelMultipleChoiceField):
    """Forums ticked by id. Django's field builds a queryset for each value only to see that it
    is a valid id: over a fleet of 20 forums that was most of the page's per-forum work. Here
    each value is read as an id in Python, and the chosen forums are still found with one
    query, with the same errors as Django's."""

    def _check_values(self, value: Any) -> Any:
        try:
            chosen = frozenset(value)
        except TypeError:
            raise ValidationError(
                self.error_messages["invalid_list"], code="invalid_list"
            ) from None
        queryset = self.queryset
        assert queryset is not None  # set by the form
        pk = queryset.model._meta.pk
        for item in chosen:
            self.validate_no_null_characters(item)
            try:
                pk.to_python(item)
            except ValidationError:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                ) from None
        found = queryset.filter(pk__in=chosen)
        ids = {str(forum.pk) for forum in found}
        for item in chosen:
            if str(item) not in ids:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return found


class FleetSearchForm(forms.Form):
    """A page that searches the fleet: what to look for (``q``) and which enabled forums to
    ask (``forum``; none ticked asks them all). A page adds its own filters and words."""

    q = forms.CharField(required=False, max_length=100)
    forum = ForumsField(
        label="Forums",
        required=False,
        queryset=ForumConnection.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(ForumsField, self.fields["forum"]).queryset = enabled_forums()


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
    csv_file = CsvUploadField()
    accept_junk = forms.BooleanField(
        required=False, label="Leave out the lines listed above and propose the rest"
    )

    def __init__(self, *args: Any, upload_refused: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(CsvUploadField, self.fields["csv_file"]).refused = upload_refused
        self.junk: list[Rejected] = []
        self.junk_count = 0

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
        pieces = decoded_pieces(read, read.charset) if read else [text]
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
