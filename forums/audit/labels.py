"""Human labels for audit action ids. Each area registers the words for the ids it writes (its
``area.py``; ``user.<key>`` and ``bulk.<kind>`` are worded by the single actions and the bulk
kinds themselves), so the log imports no area: see ``forums.core.areas``. An id nobody
registered is shown as it is, never hidden."""

from __future__ import annotations

from forums.core.areas import action_choices, action_label, known_actions

__all__ = ["action_choices", "action_label", "known_actions"]
