"""CSV exports: what a spreadsheet would run as a formula arrives as plain text."""

from __future__ import annotations

import csv
import io

import pytest

from forums.web.exports import csv_rows, csv_safe


@pytest.mark.parametrize(
    "cell",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\t=cmd|' /C calc'!A0", '\r=HYPERLINK("x")'],
)
def test_a_cell_a_spreadsheet_would_run_starts_with_a_quote(cell):
    assert csv_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["alice", "bob@example.com", "a-b", "x=1", ""])
def test_ordinary_cells_are_left_alone(cell):
    assert csv_safe(cell) == cell


def test_numbers_stay_numbers_and_none_is_empty():
    assert csv_safe(42) == 42 and csv_safe(None) == ""


def test_an_export_reads_back_with_every_risky_cell_defused():
    text = "".join(csv_rows(["name", "note"], [["\tevil", "\r=1"], ["=2", "ok"]]))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "note"], ["'\tevil", "'\r=1"], ["'=2", "ok"]]
