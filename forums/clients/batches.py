"""Finding the users a forum refuses in an all-or-nothing batch.

Discourse's ``destroy-bulk`` and NodeBB's bulk ``DELETE /users`` refuse a whole batch for one
user they will not delete (an administrator, a long-time poster), without saying which. Split
the refused batch in halves until each refused user stands alone, so everyone else is deleted
and each refusal carries the forum's own reason. Small batches are tried one by one, which
bounds the calls: at most about twice the batch size when every user is refused, and roughly
``2 x refused x log2(batch)`` when a few are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .errors import ForumError, ForumNotFound
from .records import BulkDeleteResult

# Below this size a refused batch is tried one user at a time (halving it costs as many calls).
ONE_BY_ONE_BELOW = 4


def delete_splitting(
    ids: Sequence[int],
    send: Callable[[list[int]], Sequence[int]],
    *,
    batch_size: int,
    refusals: tuple[type[ForumError], ...],
    reason: Callable[[ForumError], str] = str,
) -> BulkDeleteResult:
    """Delete ``ids`` ``batch_size`` at a time through ``send(batch)``, which deletes the whole
    batch and returns the ids it found already gone, or raises. A batch refused with one of
    ``refusals`` is split until each refused id is alone; a lone id refused with
    ``ForumNotFound`` is reported gone, any other refusal lands in ``refused`` with
    ``reason(error)`` (the forum's words). Any other error (rate limit, outage) propagates;
    what was deleted before it stays deleted, and a resumed run sees those users gone.
    """
    deleted: list[int] = []
    missing: list[int] = []
    refused: dict[int, str] = {}
    calls = 0

    def attempt(batch: list[int]) -> None:
        nonlocal calls
        calls += 1
        try:
            gone = set(send(batch))
        except refusals as exc:
            if len(batch) == 1:
                if isinstance(exc, ForumNotFound):
                    missing.append(batch[0])
                else:
                    refused[batch[0]] = reason(exc)
                return
            if len(batch) < ONE_BY_ONE_BELOW:
                for one in batch:
                    attempt([one])
            else:
                middle = len(batch) // 2
                attempt(batch[:middle])
                attempt(batch[middle:])
            return
        missing.extend(i for i in batch if i in gone)
        deleted.extend(i for i in batch if i not in gone)

    unique = list(dict.fromkeys(int(i) for i in ids))
    for start in range(0, len(unique), max(batch_size, 1)):
        attempt(unique[start : start + batch_size])
    return BulkDeleteResult(
        deleted=tuple(deleted), refused=refused, calls=calls, missing=tuple(missing)
    )
