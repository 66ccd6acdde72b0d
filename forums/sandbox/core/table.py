"""A sandbox's table of rows with the indexes a real forum's database has.

A forum answers ``GET /u/{name}.json`` from a unique index on the lower-cased username, not by
reading every account; so does the sandbox, so a 100,000-account forum answers a lookup as fast
as a small one. ``Table`` is a ``dict`` of id -> row (every existing ``table[id]``,
``.values()``, ``.pop(id)`` keeps working); each row it holds is a ``Row``, a ``dict`` that
tells its table when an indexed field changes (``row["username"] = ...``, ``row.update(...)``),
so the indexes never go stale, whoever changes the row.

Several rows may share a key (seeded e-mail addresses are not always unique, nor are lower-cased
names on every platform): ``find`` answers the one inserted first, as a scan in id order would.
``containing`` finds the rows whose indexed text fields contain a substring, through trigrams
(the admin user list's ``filter`` is a substring match on username and e-mail).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

Normalize = Callable[[Any], Any]


def lower(value: Any) -> str:
    return str(value or "").lower()


class Row(dict):
    """One row of a ``Table``: a plain dict to read, that re-indexes itself when written."""

    __slots__ = ("_table", "_id")

    def _indexed(self, keys: Iterable[str]) -> bool:
        table = getattr(self, "_table", None)
        return table is not None and any(k in table.indexed_fields for k in keys)

    def __setitem__(self, key: str, value: Any) -> None:
        if not self._indexed((key,)):
            dict.__setitem__(self, key, value)
            return
        self._table._unindex(self._id, self)
        dict.__setitem__(self, key, value)
        self._table._index(self._id, self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        changes = dict(*args, **kwargs)
        if not self._indexed(changes):
            dict.update(self, changes)
            return
        self._table._unindex(self._id, self)
        dict.update(self, changes)
        self._table._index(self._id, self)

    def __delitem__(self, key: str) -> None:
        if not self._indexed((key,)):
            dict.__delitem__(self, key)
            return
        self._table._unindex(self._id, self)
        dict.__delitem__(self, key)
        self._table._index(self._id, self)

    def pop(self, key: str, *default: Any) -> Any:
        if not self._indexed((key,)) or key not in self:
            return dict.pop(self, key, *default)
        value = self[key]
        del self[key]
        return value

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    # A copy is a plain dict: it belongs to no table.
    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, memo: dict) -> dict:
        return {k: copy.deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self):  # pickling, too, gives a plain dict
        return (dict, (dict(self),))


class Table(dict):
    """Rows by id, with unique-style indexes (``find``) and a substring index (``containing``).

    ``indexes``: field -> how to normalise its value for the index (e.g. ``lower``).
    ``searchable``: the fields ``containing`` looks in (lower-cased); their trigrams are kept.
    """

    def __init__(
        self,
        rows: Iterable[tuple[Any, dict]] | dict = (),
        *,
        indexes: dict[str, Normalize] | None = None,
        searchable: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.indexes: dict[str, Normalize] = dict(indexes or {})
        self.searchable = tuple(searchable)
        self.indexed_fields = frozenset(self.indexes) | frozenset(self.searchable)
        self._by: dict[str, dict[Any, dict[Any, None]]] = {name: {} for name in self.indexes}
        self._grams: dict[str, set[Any]] = {}
        self._seq: dict[Any, int] = {}  # each id's place in the dict's order
        self._next_seq = 0
        # Bumped when a row comes or goes (not when one changes): a cache of an ordering by a
        # field that never changes (e.g. created_at) stays valid while it is unchanged.
        self.version = 0
        for key, row in rows.items() if isinstance(rows, dict) else rows:
            self[key] = row

    # --- the dict, indexed -------------------------------------------------------------------
    def __setitem__(self, key: Any, row: dict) -> None:
        if key in self:
            old = dict.__getitem__(self, key)
            self._unindex(key, old)
            old._table = None
        else:
            self._seq[key] = self._next_seq
            self._next_seq += 1
        stored = row if type(row) is Row and getattr(row, "_table", None) is None else Row(row)
        stored._table, stored._id = self, key
        dict.__setitem__(self, key, stored)
        self._index(key, stored)
        self.version += 1

    def __delitem__(self, key: Any) -> None:
        row = dict.__getitem__(self, key)
        self._unindex(key, row)
        row._table = None
        dict.__delitem__(self, key)
        del self._seq[key]
        self.version += 1

    def pop(self, key: Any, *default: Any) -> Any:
        if key not in self:
            if default:
                return default[0]
            raise KeyError(key)
        row = dict.__getitem__(self, key)
        del self[key]
        return row

    def popitem(self) -> tuple[Any, dict]:
        key = next(reversed(self.keys()))
        return key, self.pop(key)

    def clear(self) -> None:
        for row in self.values():
            row._table = None
        dict.clear(self)
        self._by = {name: {} for name in self.indexes}
        self._grams = {}
        self._seq = {}
        self.version += 1

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, row in dict(*args, **kwargs).items():
            self[key] = row

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, memo: dict) -> dict:
        return {k: copy.deepcopy(v, memo) for k, v in self.items()}

    # --- lookups -----------------------------------------------------------------------------
    def find(self, field: str, value: Any) -> Row | None:
        """The first row (in insertion order) whose ``field`` is ``value`` once normalised."""
        ids = self._by[field].get(self.indexes[field](value))
        if not ids:
            return None
        return dict.__getitem__(self, next(iter(ids)))

    def find_all(self, field: str, value: Any) -> list[Row]:
        ids = self._by[field].get(self.indexes[field](value)) or {}
        return [dict.__getitem__(self, key) for key in ids]

    def ordered(self, keys: Iterable[Any]) -> list[Row]:
        """The rows of ``keys`` (unknown ones left out) in the table's order, as a scan of
        ``values()`` would meet them."""
        known = {key for key in keys if key in self}
        return [dict.__getitem__(self, key) for key in sorted(known, key=self._seq.__getitem__)]

    def containing(self, term: str) -> set[Any]:
        """Ids of the rows one of whose searchable fields contains ``term`` (lower-cased)."""
        term = term.lower()
        if len(term) < 3:
            candidates: Iterable[Any] = self.keys()
        else:
            grams = sorted(
                (self._grams.get(term[i : i + 3], set()) for i in range(len(term) - 2)), key=len
            )
            candidates = grams[0]
            for more in grams[1:4]:  # a few intersections leave a handful to check
                if len(candidates) < 32:
                    break
                candidates = candidates & more
        return {
            key
            for key in candidates
            if any(term in lower(dict.__getitem__(self, key).get(f)) for f in self.searchable)
        }

    # --- upkeep --------------------------------------------------------------------------
    def _index(self, key: Any, row: dict) -> None:
        for name, normalize in self.indexes.items():
            if name in row:
                self._by[name].setdefault(normalize(row[name]), {})[key] = None
        for text in self._texts(row):
            for i in range(len(text) - 2):
                self._grams.setdefault(text[i : i + 3], set()).add(key)

    def _unindex(self, key: Any, row: dict) -> None:
        for name, normalize in self.indexes.items():
            if name in row:
                value = normalize(row[name])
                ids = self._by[name].get(value)
                if ids is not None:
                    ids.pop(key, None)
                    if not ids:
                        del self._by[name][value]
        for text in self._texts(row):
            for i in range(len(text) - 2):
                gram = self._grams.get(text[i : i + 3])
                if gram is not None:
                    gram.discard(key)

    def _texts(self, row: dict) -> list[str]:
        return [lower(row.get(f)) for f in self.searchable if f in row]
