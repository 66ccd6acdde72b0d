"""docs/capabilities.md is what the clients declare, written by ``tools/capabilities.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from forums.clients.discourse import DiscourseClient
from forums.clients.records import Capability
from tools.capabilities import NoteContradicts, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "capabilities.md"


def test_the_committed_page_is_what_the_clients_declare():
    assert DOC.read_text() == render(), (
        "docs/capabilities.md is out of date: run "
        "`.venv/bin/python -m tools.capabilities > docs/capabilities.md`"
    )


def test_one_column_per_platform_in_the_registrys_order():
    header = next(line for line in render().splitlines() if line.startswith("| capability"))
    assert header == "| capability | Discourse | NodeBB (4.15) | UserEcho (API v2) |"


def test_a_note_that_contradicts_the_declaration_is_refused(monkeypatch):
    # Discourse stops offering backups, but its note still describes the endpoints.
    monkeypatch.setattr(
        DiscourseClient, "capabilities", DiscourseClient.capabilities - {Capability.BACKUPS}
    )
    with pytest.raises(NoteContradicts, match="'backups' reads as offered"):
        render()


def test_a_note_for_no_row_is_refused(monkeypatch):
    notes = {**DiscourseClient.capability_notes, "teleport": "`POST /teleport.json`"}
    monkeypatch.setattr(DiscourseClient, "capability_notes", notes)
    with pytest.raises(NoteContradicts, match="teleport"):
        render()
