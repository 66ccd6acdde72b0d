"""One exception family for everything that can go wrong talking to a forum.

Every message is written for the person at the dashboard, in plain words, and never holds a
secret: the client builds them from status codes, host names and the forum's own error text,
never from request headers.
"""

from __future__ import annotations


class ForumError(Exception):
    """Base of every failure a forum client reports."""

    kind = "error"
    default_message = "The forum refused the request."

    def __init__(
        self, message: str | None = None, *, status: int | None = None, code: str = ""
    ) -> None:
        self.message = message or self.default_message
        self.status = status
        # The forum's own machine-readable reason where it gives one (NodeBB's language key,
        # e.g. "cant-delete-other-admins"): callers branch on it, never on the wording, which
        # forums translate.
        self.code = code
        # The forum's own words, where a client rewrote the message around them.
        self.detail = ""
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ForumURLRefused(ForumError):
    kind = "url_refused"
    default_message = "Forumdeck does not contact this address."


class ForumUnavailable(ForumError):
    """The forum could not be reached at all (network level)."""

    kind = "unavailable"
    default_message = "The forum could not be reached."


class ForumDNSError(ForumUnavailable):
    kind = "dns"


class ForumConnectionRefused(ForumUnavailable):
    kind = "refused"


class ForumTimeout(ForumUnavailable):
    kind = "timeout"


class ForumTLSError(ForumUnavailable):
    kind = "tls"


class ForumBadResponse(ForumError):
    """The forum answered, but not with what its API answers."""

    kind = "bad_response"
    default_message = "The forum's answer could not be understood."


class ForumAnswerTooLarge(ForumBadResponse):
    """The answer passed FORUMDECK_MAX_RESPONSE_BYTES; none of it was kept."""

    kind = "too_large"


class ForumAnswerTooSlow(ForumBadResponse):
    """The whole call (answer included) took longer than FORUMDECK_HTTP_DEADLINE."""

    kind = "too_slow"


class ForumAnswerTooDeep(ForumBadResponse):
    """The JSON nested deeper than any forum API does."""

    kind = "too_deep"


class ForumNotAForum(ForumBadResponse):
    kind = "not_a_forum"


class ForumIsForumdeck(ForumNotAForum):
    """The address is a Forumdeck (this one, most likely), not a forum."""

    kind = "forumdeck"
    default_message = (
        "This address is Forumdeck itself, not a forum: enter the forum's own address "
        "(Edit this forum)."
    )


class ForumRedirect(ForumBadResponse):
    kind = "redirect"


class ForumUnauthorized(ForumError):
    kind = "auth"
    default_message = "The forum did not accept the API key."


class ForumReauthRequired(ForumUnauthorized):
    kind = "reauth"
    default_message = (
        "The forum only allows this action after a fresh password login, which is not "
        "possible with an API token."
    )


class ForumForbidden(ForumError):
    kind = "forbidden"
    default_message = "The API key is valid but may not do this."


class ForumNotAdmin(ForumForbidden):
    """The key works, but does not act as an administrator, which Forumdeck needs."""

    kind = "not_admin"
    default_message = "The API key works, but not as an administrator of the forum."


class ForumNotFound(ForumError):
    kind = "not_found"
    default_message = "The forum has no such item."


class ForumRejected(ForumError):
    """The forum refused the request as invalid (400/409/422) and said why."""

    kind = "rejected"


class ForumRateLimited(ForumError):
    kind = "rate_limited"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = 429,
        retry_after: float = 60.0,
        code: str = "",
    ) -> None:
        self.retry_after = max(float(retry_after), 0.0)
        super().__init__(
            message
            or f"The forum is rate limiting Forumdeck; it asks to wait {self.retry_after:g} s.",
            status=status,
            code=code,
        )


class ForumServerError(ForumError):
    kind = "server"
    default_message = "The forum had an internal error."


class ForumKeyUndecryptable(ForumError):
    """The stored key cannot be opened with the configured keyring (nothing was sent)."""

    kind = "decryption"
    default_message = "The API key cannot be decrypted with the configured keys: enter it again."


class CapabilityNotOffered(ForumError):
    kind = "not_offered"
    default_message = "This forum software does not offer that."


class ForumBusy(ForumRejected):
    """The forum did not start it because the same kind of work is running there already
    (e.g. a backup or restore): not an error to show as one."""

    kind = "operation_running"


class BackupsDisabled(ForumForbidden):
    """The forum's own setting turns backups off (Discourse: ``enable_backups``)."""

    kind = "backups_disabled"
    default_message = "Backups are turned off in the forum's own settings."


class ReviewItemStale(ForumRejected):
    """The item was decided (or changed) on the forum after Forumdeck read it: Discourse's 409
    on a stale ``version``, NodeBB's flag already resolved or queue entry gone."""

    kind = "review_stale"
    default_message = (
        "Someone decided or changed this item on the forum meanwhile. Reload the queue to see it "
        "as it is now."
    )
