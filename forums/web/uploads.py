"""Uploads refused by size before they are read.

``LimitedUploadHandler`` comes first in ``FILE_UPLOAD_HANDLERS``: a request whose declared size
is over ``FORUMDECK_MAX_UPLOAD_BYTES`` stops being read at its first file (the form's other
fields, which come first, are kept), and a file that grows past the limit while it streams in
(no or a wrong Content-Length) stops there too. The view asks ``upload_refusal(request)`` and
says so on the form; nothing of the file is stored.
"""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

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
