"""Uploads refused by size before they are read.

``LimitedUploadHandler`` comes first in ``FILE_UPLOAD_HANDLERS``: a request whose declared size
is over ``FORUMDECK_MAX_UPLOAD_BYTES`` stops being read at its first file (the form's other
fields, which come first, are kept), and a file that grows past the limit while it streams in
(no or a wrong Content-Length) stops there too. The view asks ``upload_refusal(request)`` and
says so on the form; nothing of the file is stored.
"""

from __future__ import annotations

from typing import IO, Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.utils.functional import lazy

from forums.core.targets import detect_encoding

_FLAG = "_forumdeck_upload_refused"
# Room for the form's other fields beside the file in the declared size.
_FORM_SLACK = 64 * 1024


def _limit() -> int:
    return settings.FORUMDECK_MAX_UPLOAD_BYTES


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def upload_refusal(request: HttpRequest) -> str:
    """Why the request's file was not read (too large), or "". Read POST or FILES first."""
    return getattr(request, _FLAG, "")


class LimitedUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.too_large = False
        self.received = 0

    def _refuse(self) -> None:
        if self.request is not None:
            setattr(
                self.request,
                _FLAG,
                f"The file is larger than {_megabytes(_limit())}, the most Forumdeck accepts "
                "(FORUMDECK_MAX_UPLOAD_BYTES). Split it into smaller files.",
            )
        # Stop reading the request here: the rest of it is never read, let alone stored.
        raise StopUpload(connection_reset=True)

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: dict[str, str],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        self.too_large = content_length > _limit() + _FORM_SLACK
        return None  # the other handlers parse it

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        if self.too_large:
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > _limit():
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _csv_help() -> str:
    return (
        "A column named username, email or id (or the first column). "
        f"At most {_megabytes(_limit())}."
    )


class CsvUploadField(forms.FileField):
    """The one CSV upload of the pages (a bulk action's targets, a group's new members):
    refused when the upload handler stopped reading it (``refused``, set by the form from
    ``upload_refusal``), when it is over ``FORUMDECK_MAX_UPLOAD_BYTES``, or when it is not
    text Forumdeck can read (checked in pieces, never read whole). The cleaned file carries
    the encoding found as its ``charset``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "…or a CSV file")
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", lazy(_csv_help, str)())
        super().__init__(**kwargs)
        self.refused = ""

    def clean(self, data: Any, initial: Any = None) -> UploadedFile | None:
        if self.refused:
            raise forms.ValidationError(self.refused)
        upload = super().clean(data, initial)
        if not upload:
            return None
        if upload.size > _limit():
            raise forms.ValidationError(f"The file is larger than {_megabytes(_limit())}.")
        encoding = detect_encoding(upload)
        if encoding is None:
            raise forms.ValidationError("The file is not text (CSV) Forumdeck can read.")
        upload.charset = encoding
        return upload
