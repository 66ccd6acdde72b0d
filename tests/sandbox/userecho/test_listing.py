"""The sandbox UserEcho: paging, filters and order (1.4)."""

from __future__ import annotations

from .commands import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    call,
    data,
    error,
    state,
)


# --- 1.4 paging, filters, order -------------------------------------------------------------
def test_pages_of_fifty_by_default_with_the_total_in_details(sandbox):
    """1.4 [D] default 50, `page` 1-based [I], `limit`; [C] IMP details.count is the total."""
    first = call(sandbox, "GET", "users.json").json()
    second = call(sandbox, "GET", "users.json", params={"page": 2}).json()
    third = call(sandbox, "GET", "users.json", params={"page": 3}).json()
    assert first["details"] == {"count": 80, "page": 1, "limit": 50}
    assert len(first["data"]) == 50 and len(second["data"]) == 30 and third["data"] == []
    ids = [u["id"] for u in first["data"] + second["data"]]
    assert len(set(ids)) == 80 == len(state(sandbox).users)
    small = call(sandbox, "GET", "users.json", params={"page": 11, "limit": 2}).json()
    assert [u["id"] for u in small["data"]] == [21, 22]  # INTRO's `page=11&limit=2` example


def test_limit_is_capped_and_bad_paging_is_refused(sandbox):
    """1.4 [I] max limit undocumented ([C] DA uses 100): capped; nonsense is a 400 [I]."""
    sandbox.app.configure(users=150)
    sandbox.app.reset()
    body = call(sandbox, "GET", "users.json", params={"limit": 500}).json()
    assert len(body["data"]) == 100 and body["details"]["limit"] == 100
    for params in ({"page": 0}, {"limit": "ten"}):
        assert "page and limit" in error(call(sandbox, "GET", "users.json", params=params), 400)


def test_details_may_be_missing_and_a_short_page_ends_the_list(sandbox):
    """1.3 [D] details "may be available"; trap 17: stop on a short page."""
    sandbox.app.configure(details=False)
    pages, page = [], 1
    while True:
        body = call(sandbox, "GET", "forums/1/topics.json", params={"page": page}).json()
        assert "details" not in body
        pages.append(len(body["data"]))
        if len(body["data"]) < 50:
            break
        page += 1
    assert pages == [50, 14]


def test_filters_on_user_fields(sandbox):
    """SEED:85-110 [D]: filter__<field>[__<cond>] (eq, in, gte, icontains ...); email [I]."""
    found = data(
        call(sandbox, "GET", "users.json", params={"filter__email": "maria.lopez@example.org"})
    )
    assert [(u["slug"], u["name"]) for u in found] == [("maria-lopez", "Maria Lopez")]
    named = data(call(sandbox, "GET", "users.json", params={"filter__name__icontains": "maria l"}))
    assert sorted(u["email"] for u in named) == [
        "maria.lopes@example.net",
        "maria.lopez@example.org",
    ]
    some = data(call(sandbox, "GET", "users.json", params={"filter__id__in": "3,5,7"}))
    assert [u["id"] for u in some] == [3, 5, 7]
    late = call(sandbox, "GET", "users.json", params={"filter__id__gte": 71}).json()
    assert late["details"]["count"] == 10
    staff = data(call(sandbox, "GET", "users.json", params={"filter__is_staff": "true"}))
    assert {u["id"] for u in staff} == {1, 2, 3}


def test_filters_on_topics_dates_and_custom_fields(sandbox):
    """SEED:101-110 [D]: needs_review, status__in, dates as a plain date, custom fields as
    strings."""
    topics = [t for t in state(sandbox).topics.values() if t["forum_id"] == 1]
    review = call(sandbox, "GET", "forums/1/topics.json", params={"filter__needs_review": 1})
    assert review.json()["details"]["count"] == 6 == sum(t["needs_review"] for t in topics)
    assert all(t["needs_review"] for t in data(review))
    statuses = sorted({t["status_id"] for t in topics})[:2]
    by_status = data(
        call(
            sandbox,
            "GET",
            "forums/1/topics.json",
            params={"filter__status__in": ",".join(map(str, statuses)), "limit": 100},
        )
    )
    assert len(by_status) == sum(t["status_id"] in statuses for t in topics)
    cutoff = sorted(t["created"] for t in topics)[40][:10]  # a plain date
    recent = call(sandbox, "GET", "forums/1/topics.json", params={"filter__created__gte": cutoff})
    assert recent.json()["details"]["count"] == sum(t["created"] >= cutoff for t in topics)
    pro = call(
        sandbox, "GET", "forums/1/topics.json", params={"filter__custom_fields__cf_1": "Pro"}
    ).json()
    assert pro["details"]["count"] == sum(t["custom_fields"]["cf_1"] == "Pro" for t in topics)


def test_unknown_filter_field_is_refused_and_ignored_filters_do_nothing(sandbox):
    """[I] an unknown field is a 400; trap 16 [C DA:393]: a server may ignore a filter."""
    assert "Unknown filter field" in error(
        call(sandbox, "GET", "users.json", params={"filter__shoe_size": 3}), 400
    )
    sandbox.app.configure(ignored_filters=["email"])
    body = call(
        sandbox, "GET", "users.json", params={"filter__email": "maria.lopez@example.org"}
    ).json()
    assert body["details"]["count"] == 80  # the whole project, not Maria


def test_order_by(sandbox):
    """[C] DA: order_by=created / -created; unknown fields are refused [I]."""
    newest = data(call(sandbox, "GET", "forums/2/topics.json", params={"order_by": "-created"}))
    oldest = data(call(sandbox, "GET", "forums/2/topics.json", params={"order_by": "created"}))
    assert [t["id"] for t in newest] == [t["id"] for t in reversed(oldest)]
    assert newest[0]["created"] > newest[-1]["created"]
    assert error(call(sandbox, "GET", "users.json", params={"order_by": "-nope"}), 400)
