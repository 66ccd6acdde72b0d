"""The index page's reads. They live with the index's rows in ``forums.core.fleet_index``
(the other areas read the index too: People search, Groups, Tags, the forums list)."""

from __future__ import annotations

from forums.core.fleet_index.reads import IndexProgress, index_progress, index_progress_many

__all__ = ["IndexProgress", "index_progress", "index_progress_many"]
