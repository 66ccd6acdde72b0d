"""The kinds of bulk action, one module per subject; ``KINDS`` is the registry."""

from __future__ import annotations

from django import forms

from .base import Applied, Kind, Target
from .groups import GroupAddKind, GroupRemoveKind
from .penalties import SilenceKind, SuspendKind, UnsilenceKind, UnsuspendKind
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
    )
}


def get_kind(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise forms.ValidationError(f"Unknown kind of bulk action: {key}") from None


__all__ = ["KINDS", "Applied", "Kind", "Target", "get_kind"]
