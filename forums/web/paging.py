"""A paginator for lists too long to count on every page load."""

from __future__ import annotations

import inspect
from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.inspect import method_has_no_args


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows (one query that stops at ``cap`` + 1), so a page of a long
    log costs the same however long the log grows. Past the cap it pages up to the cap, and
    ``capped`` says there is more: the ``{% paginator %}`` tag then reads "more than 10,000".
    """

    def __init__(
        self, object_list: Any, per_page: int, *, cap: int = 10_000, **kwargs: Any
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        rows = self.object_list
        if hasattr(rows, "order_by"):
            rows = rows.order_by()  # which rows are counted does not matter, only how many
        head = rows[: self.cap + 1]
        count = getattr(head, "count", None)  # a queryset counts in the database
        if callable(count) and not inspect.isbuiltin(count) and method_has_no_args(count):
            return count()
        return len(head)

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap
