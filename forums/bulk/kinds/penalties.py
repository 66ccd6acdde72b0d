"""Put a penalty on many accounts, or lift it: suspend/ban and silence/mute."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, cast

from django import forms
from django.core.validators import MaxLengthValidator

from forums.clients import ForumClient, PenaltyWords, client_class, supported_platforms
from forums.clients.records import Penalty
from forums.web.durations import UntilField, describe_until

from .base import Kind, jsonable

PERMANENT = "permanent"


def reason_max() -> int:
    """The longest reason every platform takes (Discourse: 300, ENDPOINTS.md "Rules" /
    suspend / silence), from each platform's ``PenaltyRules``."""
    limits = [
        rules.reason_max_length
        for platform in supported_platforms()
        for rules in client_class(platform).penalty_rules.values()
        if rules.reason_max_length is not None
    ]
    return min(limits, default=1000)


def until_of(params: dict[str, Any]) -> datetime | None:
    """The end the plan froze (an ISO time), or None for permanently. Not re-validated: an
    approved plan runs as approved, even if its end has come closer meanwhile."""
    until = params.get("until")
    return None if until in (None, "", PERMANENT) else datetime.fromisoformat(until)


def _words(kind: Penalty, *, lifting: bool) -> str:
    """ "Suspend (Discourse) / Ban (NodeBB)", from each platform's own words."""
    names: dict[str, list[str]] = {}
    for platform in supported_platforms():
        cls = client_class(platform)
        if not cls.supports(kind.capability):
            continue
        words = cls.penalty_words(kind)
        names.setdefault(words.lift if lifting else words.verb, []).append(cls.software)
    return " / ".join(f"{verb} ({', '.join(soft)})" for verb, soft in names.items())


class PenaltyParamsForm(forms.Form):
    reason = forms.CharField(label="Reason", strip=True)
    until = UntilField(label="Until")
    message = forms.CharField(
        label="Message to the users",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        senders = [
            client_class(p).software
            for p in supported_platforms()
            if any(r.sends_message for r in client_class(p).penalty_rules.values())
        ]
        self.fields["message"].help_text = "Optional e-mail to the user" + (
            f" ({', '.join(senders)}: the forums that send one)." if senders else "."
        )
        limit = reason_max()
        reason = cast(forms.CharField, self.fields["reason"])
        reason.max_length = limit
        reason.validators.append(MaxLengthValidator(limit))
        reason.widget.attrs["maxlength"] = str(limit)
        reason.help_text = (
            f"Shown to the user and in the forum's staff log (at most {limit} characters)."
        )


class PenaltyKind(Kind):
    """Put a penalty on (or lift it). Suspend and silence differ only in the penalty."""

    penalty: ClassVar[Penalty]
    lifting: ClassVar[bool] = False

    @property
    def label(self) -> str:  # type: ignore[override]
        return _words(self.penalty, lifting=self.lifting)

    def _verb(self, words: PenaltyWords) -> str:
        return words.lift if self.lifting else words.verb

    @property
    def short(self) -> str:
        """ "Suspend/ban", "Unsuspend/unban": how a description names it."""
        verbs = list(
            dict.fromkeys(
                self._verb(client_class(p).penalty_words(self.penalty))
                for p in supported_platforms()
            )
        )
        return "/".join([verbs[0], *(v.lower() for v in verbs[1:])])

    def label_on(self, platform: str = "") -> str:
        """ "Unban" on a forum whose software bans, "Unsuspend" on one that suspends."""
        if platform not in supported_platforms():
            return self.short
        return self._verb(client_class(platform).penalty_words(self.penalty))

    def done_on(self, platform: str = "") -> str:
        if platform not in supported_platforms():
            return self.done_label
        words = client_class(platform).penalty_words(self.penalty)
        return words.lifted if self.lifting else words.done

    def params_from(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        params = {k: jsonable(v) for k, v in cleaned.items()}
        if "until" in cleaned and cleaned["until"] is None:
            params["until"] = PERMANENT
        return params

    def check_forums(self, client_classes: Sequence[type[ForumClient]], params: dict) -> None:
        if self.lifting:
            return
        problems = dict.fromkeys(
            cls.penalty_reason_problem(self.penalty, params.get("reason") or "")
            for cls in client_classes
        )
        problems.pop("", None)
        if problems:
            raise forms.ValidationError(list(problems))
        if params.get("until") != PERMANENT:
            return
        refusing = [
            cls.software
            for cls in client_classes
            if not cls.penalty_rules[self.penalty].permanent_allowed
        ]
        if refusing:
            verb = client_class(supported_platforms()[0]).penalty_words(self.penalty).verb
            raise forms.ValidationError(
                f"{', '.join(dict.fromkeys(refusing))} cannot {verb.lower()} permanently: "
                "give an end date or a duration."
            )

    def describe(self, params):
        if self.lifting:
            return self.label
        when = describe_until(until_of(params))
        return f"{self.short} {when}: {params['reason']}"

    def prepare(self, client, params, frozen=None):
        if self.lifting:
            return {}
        return {"staff_refused": client.penalty_rules[self.penalty].staff_refused}

    def plan_refusal(self, client, ctx, params):
        # ENDPOINTS.md "Rules" / suspend / silence: checked again while planning, against the
        # rules of the forum the plan will send to.
        if self.lifting:
            return ""
        return client.penalty_reason_problem(self.penalty, params.get("reason") or "")

    def reason_not_needed(self, user, ctx, params):
        penalised = user.penalised(self.penalty)
        done = self.state_words
        if self.lifting:
            return "" if penalised else f"not {done}"
        if penalised:
            return f"already {done}"
        if user.admin:
            return "is an administrator (forums refuse to penalise admins)"
        if user.moderator and ctx.get("staff_refused"):
            return (
                "is a moderator (this forum refuses to penalise staff: take the moderator "
                "role away first)"
            )
        return ""

    def index_fields(self, params):
        flag, until = (
            ("suspended", "suspended_until")
            if self.penalty is Penalty.SUSPEND
            else ("silenced", "silenced_until")
        )
        if self.lifting:
            return {flag: False, until: None}
        return {flag: True, until: until_of(params)}

    def shows_applied(self, reason: str) -> bool:
        # A lift sent before whose answer was lost: the person no longer being penalised is
        # the change, found applied (as "already suspended" is for the penalty itself).
        if self.lifting:
            return reason == f"not {self.state_words}"
        return super().shows_applied(reason)

    @property
    def state_words(self) -> str:
        """ "suspended or banned", from each platform's words."""
        done = dict.fromkeys(
            client_class(p).penalty_words(self.penalty).done for p in supported_platforms()
        )
        return " or ".join(done)

    def apply(self, client, ctx, params, targets):
        for target in targets:
            if self.lifting:
                client.lift(kind=self.penalty, user_id=target.forum_id)
            else:
                client.penalise(
                    kind=self.penalty,
                    user_id=target.forum_id,
                    until=until_of(params),
                    reason=params["reason"],
                    message=params.get("message") or "",
                )
        return {}


class SuspendKind(PenaltyKind):
    key = "suspend"
    done_label = "suspended"
    penalty = Penalty.SUSPEND
    capabilities = (Penalty.SUSPEND.capability,)
    form_class = PenaltyParamsForm


class UnsuspendKind(PenaltyKind):
    key = "unsuspend"
    done_label = "unsuspended"
    penalty = Penalty.SUSPEND
    capabilities = (Penalty.SUSPEND.capability,)
    lifting = True


class SilenceKind(PenaltyKind):
    key = "silence"
    done_label = "silenced"
    penalty = Penalty.SILENCE
    capabilities = (Penalty.SILENCE.capability,)
    form_class = PenaltyParamsForm


class UnsilenceKind(PenaltyKind):
    key = "unsilence"
    done_label = "unsilenced"
    penalty = Penalty.SILENCE
    capabilities = (Penalty.SILENCE.capability,)
    lifting = True
