"""The upload size limit holds while a file streams in, whatever the request declared."""

from __future__ import annotations

import pytest
from django.core.files.uploadhandler import StopUpload
from django.test import RequestFactory

from forums.web.uploads import LimitedUploadHandler, upload_refusal


def test_a_file_that_grows_past_the_limit_is_stopped_there(settings):
    settings.FORUMDECK_MAX_UPLOAD_BYTES = 1000
    request = RequestFactory().post("/")
    handler = LimitedUploadHandler(request)
    handler.handle_raw_input(None, {}, 100, b"boundary")  # a declared size that lies
    handler.new_file("csv_file", "x.csv", "text/csv", None)
    assert handler.receive_data_chunk(b"a" * 600, 0) == b"a" * 600
    with pytest.raises(StopUpload) as stop:
        handler.receive_data_chunk(b"a" * 600, 600)
    assert stop.value.connection_reset
    assert upload_refusal(request).startswith("The file is larger than")


def test_a_request_declared_too_large_stops_at_its_first_file(settings):
    settings.FORUMDECK_MAX_UPLOAD_BYTES = 1024 * 1024
    request = RequestFactory().post("/")
    handler = LimitedUploadHandler(request)
    handler.handle_raw_input(None, {}, 50 * 1024 * 1024, b"boundary")
    with pytest.raises(StopUpload):
        handler.new_file("csv_file", "x.csv", "text/csv", None)
    assert upload_refusal(request).startswith("The file is larger than 1 MB")


def test_a_small_upload_passes_through():
    request = RequestFactory().post("/")
    handler = LimitedUploadHandler(request)
    handler.handle_raw_input(None, {}, 2000, b"boundary")
    handler.new_file("csv_file", "x.csv", "text/csv", None)
    assert handler.receive_data_chunk(b"abc", 0) == b"abc"
    assert upload_refusal(request) == ""
