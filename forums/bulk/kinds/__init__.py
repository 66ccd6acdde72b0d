"""The kinds of bulk action, one module per subject; ``KINDS`` is the registry."""

from __future__ import annotations

from django import forms

from .base import Applied, ItemToSend, Kind, Resolved
from .groups import (
    GroupAddKind,
    GroupCreateKind,
    GroupDeleteKind,
    GroupRemoveKind,
    GroupSyncKind,
)
from .penalties import SilenceKind, SuspendKind, UnsilenceKind, UnsuspendKind
from .review import ReviewDecideKind
from .tags import TagCreateKind, TagDeleteKind, TagMergeKind, TagRenameKind
from .topics import RetagKind, RetagTaggedKind
from .users import DeleteUsersKind

KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        GroupAddKind(),
        GroupRemoveKind(),
        SuspendKind(),
        UnsuspendKind(),
        SilenceKind(),
        UnsilenceKind(),
        DeleteUsersKind(),
        GroupCreateKind(),
        GroupDeleteKind(),
        GroupSyncKind(),
        TagRenameKind(),
        TagMergeKind(),
        TagDeleteKind(),
        TagCreateKind(),
        RetagKind(),
        RetagTaggedKind(),
        ReviewDecideKind(),
    )
}


def get_kind(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise forms.ValidationError(f"Unknown kind of bulk action: {key}") from None


__all__ = ["KINDS", "Applied", "Kind", "Resolved", "ItemToSend", "get_kind"]
