"""Response skeletons: the fields openapi.json (discourse_api_docs 6737ac2) marks required,
with neutral defaults. The sandbox overlays its real state on a copy of these, so its
answers carry every field a real Discourse sends (and the spec validates).

Generated once from the spec; regenerate when the spec changes."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

GROUP_LIST_ITEM: dict[str, Any] = {
    "id": 0,
    "automatic": False,
    "name": "",
    "display_name": "",
    "mentionable_level": 0,
    "messageable_level": 0,
    "visibility_level": 0,
    "primary_group": False,
    "title": None,
    "grant_trust_level": None,
    "incoming_email": None,
    "has_messages": False,
    "flair_url": None,
    "flair_bg_color": None,
    "flair_color": None,
    "bio_raw": None,
    "bio_cooked": None,
    "bio_excerpt": None,
    "public_admission": False,
    "public_exit": False,
    "allow_membership_requests": False,
    "full_name": None,
    "default_notification_level": 0,
    "membership_request_template": None,
    "members_visibility_level": 0,
    "can_see_members": False,
    "can_admin_group": False,
    "publish_read_state": False,
}

GROUP_DETAIL: dict[str, Any] = {
    "id": 0,
    "automatic": False,
    "name": "",
    "mentionable_level": 0,
    "messageable_level": 0,
    "visibility_level": 0,
    "primary_group": False,
    "title": None,
    "grant_trust_level": None,
    "incoming_email": None,
    "has_messages": False,
    "flair_url": None,
    "flair_bg_color": None,
    "flair_color": None,
    "bio_raw": None,
    "bio_cooked": None,
    "bio_excerpt": None,
    "public_admission": False,
    "public_exit": False,
    "allow_membership_requests": False,
    "full_name": None,
    "default_notification_level": 0,
    "membership_request_template": None,
    "is_group_user": False,
    "members_visibility_level": 0,
    "can_see_members": False,
    "can_admin_group": False,
    "publish_read_state": False,
    "is_group_owner_display": False,
    "mentionable": False,
    "messageable": False,
    "automatic_membership_email_domains": None,
    "smtp_server": None,
    "smtp_port": None,
    "smtp_ssl_mode": None,
    "email_username": None,
    "email_password": None,
    "message_count": 0,
    "allow_unknown_sender_topic_replies": False,
    "watching_category_ids": [],
    "tracking_category_ids": [],
    "watching_first_post_category_ids": [],
    "regular_category_ids": [],
    "muted_category_ids": [],
}

BASIC_GROUP: dict[str, Any] = {
    "id": 0,
    "automatic": False,
    "name": "",
    "user_count": 0,
    "mentionable_level": 0,
    "messageable_level": 0,
    "visibility_level": 0,
    "primary_group": False,
    "title": None,
    "grant_trust_level": None,
    "incoming_email": None,
    "has_messages": False,
    "flair_url": None,
    "flair_bg_color": None,
    "flair_color": None,
    "bio_raw": None,
    "bio_cooked": None,
    "bio_excerpt": None,
    "public_admission": False,
    "public_exit": False,
    "allow_membership_requests": False,
    "full_name": None,
    "default_notification_level": 0,
    "membership_request_template": None,
    "members_visibility_level": 0,
    "can_see_members": False,
    "can_admin_group": False,
    "publish_read_state": False,
}

ADMIN_USER_LIST_ITEM: dict[str, Any] = {
    "id": 0,
    "username": "",
    "name": None,
    "avatar_template": "",
    "active": False,
    "admin": False,
    "moderator": False,
    "last_seen_at": None,
    "last_emailed_at": None,
    "created_at": "",
    "last_seen_age": None,
    "last_emailed_age": None,
    "created_at_age": None,
    "trust_level": 0,
    "manual_locked_trust_level": None,
    "title": None,
    "time_read": 0,
    "staged": False,
    "days_visited": 0,
    "posts_read_count": 0,
    "topics_entered": 0,
    "post_count": 0,
}

ADMIN_USER: dict[str, Any] = {
    "id": 0,
    "username": "",
    "name": None,
    "avatar_template": "",
    "active": False,
    "admin": False,
    "moderator": False,
    "last_seen_at": None,
    "last_emailed_at": None,
    "created_at": "",
    "last_seen_age": None,
    "last_emailed_age": None,
    "created_at_age": None,
    "trust_level": 0,
    "manual_locked_trust_level": None,
    "title": None,
    "time_read": 0,
    "staged": False,
    "days_visited": 0,
    "posts_read_count": 0,
    "topics_entered": 0,
    "post_count": 0,
    "can_send_activation_email": False,
    "can_activate": False,
    "can_deactivate": False,
    "ip_address": "",
    "registration_ip_address": None,
    "can_grant_admin": False,
    "can_revoke_admin": False,
    "can_grant_moderation": False,
    "can_revoke_moderation": False,
    "can_impersonate": False,
    "like_count": 0,
    "like_given_count": 0,
    "topic_count": 0,
    "flags_given_count": 0,
    "flags_received_count": 0,
    "private_topics_count": 0,
    "can_delete_all_posts": False,
    "can_be_anonymized": False,
    "can_be_merged": False,
    "full_suspend_reason": None,
    "primary_group_id": None,
    "badge_count": 0,
    "warnings_received_count": 0,
    "bounce_score": None,
    "reset_bounce_score_after": None,
    "can_view_action_logs": False,
    "can_disable_second_factor": False,
    "can_delete_sso_record": False,
    "api_key_count": 0,
    "single_sign_on_record": None,
    "approved_by": None,
    "suspended_by": None,
    "silenced_by": None,
    "groups": [],
    "external_ids": {},
    "include_ip": False,
}

USER_PROFILE: dict[str, Any] = {
    "id": 0,
    "username": "",
    "name": "",
    "avatar_template": "",
    "last_posted_at": None,
    "last_seen_at": None,
    "created_at": "",
    "ignored": False,
    "muted": False,
    "can_ignore_user": False,
    "can_mute_user": False,
    "can_send_private_messages": False,
    "can_send_private_message_to_user": False,
    "trust_level": 0,
    "moderator": False,
    "admin": False,
    "title": None,
    "badge_count": 0,
    "custom_fields": {},
    "time_read": 0,
    "recent_time_read": 0,
    "primary_group_id": None,
    "primary_group_name": None,
    "flair_group_id": None,
    "flair_name": None,
    "flair_url": None,
    "flair_bg_color": None,
    "flair_color": None,
    "featured_topic": {"id": 0, "title": "", "fancy_title": "", "slug": "", "posts_count": 0},
    "staged": False,
    "can_edit": False,
    "can_edit_username": False,
    "can_edit_email": False,
    "can_edit_name": False,
    "uploaded_avatar_id": None,
    "has_title_badges": False,
    "pending_count": 0,
    "profile_view_count": 0,
    "second_factor_enabled": False,
    "can_upload_profile_header": False,
    "can_upload_user_card_background": False,
    "post_count": 0,
    "topic_count": 0,
    "can_be_deleted": False,
    "can_delete_all_posts": False,
    "locale": None,
    "muted_category_ids": [],
    "regular_category_ids": [],
    "watched_tags": [],
    "watching_first_post_tags": [],
    "tracked_tags": [],
    "muted_tags": [],
    "tracked_category_ids": [],
    "watched_category_ids": [],
    "watched_first_post_category_ids": [],
    "system_avatar_upload_id": None,
    "system_avatar_template": "",
    "muted_usernames": [],
    "ignored_usernames": [],
    "allowed_pm_usernames": [],
    "mailing_list_posts_per_day": 0,
    "can_change_bio": False,
    "can_change_location": False,
    "can_change_website": False,
    "can_change_tracking_preferences": False,
    "user_api_keys": None,
    "user_auth_tokens": [],
    "user_notification_schedule": {
        "enabled": False,
        "day_0_start_time": 0,
        "day_0_end_time": 0,
        "day_1_start_time": 0,
        "day_1_end_time": 0,
        "day_2_start_time": 0,
        "day_2_end_time": 0,
        "day_3_start_time": 0,
        "day_3_end_time": 0,
        "day_4_start_time": 0,
        "day_4_end_time": 0,
        "day_5_start_time": 0,
        "day_5_end_time": 0,
        "day_6_start_time": 0,
        "day_6_end_time": 0,
    },
    "use_logo_small_as_avatar": False,
    "featured_user_badge_ids": [],
    "invited_by": None,
    "groups": [],
    "group_users": [],
    "user_option": {
        "user_id": 0,
        "mailing_list_mode": False,
        "mailing_list_mode_frequency": 0,
        "email_digests": False,
        "email_level": 0,
        "email_messages_level": 0,
        "external_links_in_new_tab": False,
        "color_scheme_id": None,
        "dark_scheme_id": None,
        "dynamic_favicon": False,
        "enable_quoting": False,
        "enable_smart_lists": False,
        "enable_markdown_monospace_font": False,
        "digest_after_minutes": 0,
        "automatically_unpin_topics": False,
        "auto_track_topics_after_msecs": 0,
        "notification_level_when_replying": 0,
        "new_topic_duration_minutes": 0,
        "email_previous_replies": 0,
        "email_in_reply_to": False,
        "like_notification_frequency": 0,
        "notify_on_linked_posts": False,
        "push_notification_level": "",
        "enable_upcoming_change_available_notifications": False,
        "include_tl0_in_digests": False,
        "theme_ids": [],
        "theme_key_seq": 0,
        "allow_private_messages": False,
        "enable_allowed_pm_users": False,
        "homepage_id": None,
        "hide_profile_and_presence": False,
        "hide_profile": False,
        "hide_presence": False,
        "text_size": "",
        "text_size_seq": 0,
        "title_count_mode": "",
        "timezone": None,
        "skip_new_user_tips": False,
        "topics_unread_when_closed": False,
        "interface_color_mode": 0,
        "automatically_translate": False,
        "understood_languages": [],
        "show_original_content": False,
        "send_shortcut": "",
    },
}

# A group as a user's page lists it: the basic shape plus its display name.
USER_GROUP: dict[str, Any] = {**BASIC_GROUP, "display_name": ""}

EVENT: dict[str, Any] = {
    "id": 0,
    "category_id": None,
    "starts_at": None,
    "ends_at": None,
    "show_local_time": False,
    "timezone": None,
    "post": {
        "id": 0,
        "post_number": 0,
        "url": "",
        "category_slug": "",
        "topic": {"id": 0, "title": "", "tags": [], "tags_descriptions": {}, "slug": ""},
    },
    "occurrences": [],
    "can_act_on_discourse_post_event": None,
    "can_update_attendance": None,
    "is_closed": False,
    "is_expired": False,
    "is_ongoing": False,
    "is_private": False,
    "is_public": False,
    "is_standalone": False,
    "should_display_invitees": False,
    "status": "",
    "at_capacity": False,
}


# --- seeded state ---------------------------------------------------------------------------
# Ids of the automatic groups are the real ones (Group::AUTO_GROUPS).
# GET /t/{id}.json: the spec's required fields (the sandbox overlays the topic).
TOPIC: dict[str, Any] = {
    "post_stream": {"posts": [], "stream": []},
    "timeline_lookup": [],
    "suggested_topics": [],
    "tags": [],
    "tags_descriptions": {},
    "id": 0,
    "title": "",
    "fancy_title": "",
    "posts_count": 0,
    "created_at": "",
    "views": 0,
    "reply_count": 0,
    "like_count": 0,
    "last_posted_at": None,
    "visible": False,
    "closed": False,
    "archived": False,
    "has_summary": False,
    "archetype": "",
    "slug": "",
    "category_id": 0,
    "word_count": None,
    "deleted_at": None,
    "user_id": 0,
    "featured_link": None,
    "pinned_globally": False,
    "pinned_at": None,
    "pinned_until": None,
    "image_url": None,
    "slow_mode_seconds": 0,
    "draft": None,
    "draft_key": "",
    "draft_sequence": 0,
    "unpinned": None,
    "pinned": False,
    "highest_post_number": None,
    "deleted_by": None,
    "has_deleted": False,
    "actions_summary": [],
    "chunk_size": 0,
    "bookmarked": False,
    "bookmarks": [],
    "topic_timer": None,
    "message_bus_last_id": 0,
    "participant_count": 0,
    "show_read_indicator": False,
    "thumbnails": None,
    "slow_mode_enabled_until": None,
    "details": {
        "can_edit": False,
        "notification_level": 0,
        "can_move_posts": False,
        "can_delete": False,
        "can_remove_allowed_users": False,
        "can_create_post": False,
        "can_reply_as_new_topic": False,
        "can_convert_topic": False,
        "can_review_topic": False,
        "can_close_topic": False,
        "can_archive_topic": False,
        "can_split_merge_topic": False,
        "can_edit_staff_notes": False,
        "can_toggle_topic_visibility": False,
        "can_pin_unpin_topic": False,
        "can_moderate_category": False,
        "can_remove_self_id": 0,
        "created_by": {"id": 0, "username": "", "name": "", "avatar_template": ""},
        "last_poster": {"id": 0, "username": "", "name": "", "avatar_template": ""},
    },
}

AUTO_GROUPS = {
    "admins": 1,
    "moderators": 2,
    "staff": 3,
    "trust_level_0": 10,
    "trust_level_1": 11,
    "trust_level_2": 12,
    "trust_level_3": 13,
    "trust_level_4": 14,
}
AUTO_GROUP_NAMES = {gid: name for name, gid in AUTO_GROUPS.items()}  # by id: names can change

_FIRST = [
    "alex",
    "sam",
    "jordan",
    "taylor",
    "morgan",
    "casey",
    "riley",
    "jamie",
    "robin",
    "chris",
    "dana",
    "lee",
    "kim",
    "pat",
    "noor",
    "aiko",
    "lena",
    "omar",
    "priya",
    "mateo",
    "sofia",
    "yusuf",
    "ingrid",
    "tomas",
    "amara",
    "kenji",
    "olga",
    "rafael",
    "zoe",
    "ivan",
]
_LAST = [
    "smith",
    "garcia",
    "mueller",
    "rossi",
    "tanaka",
    "novak",
    "silva",
    "khan",
    "dubois",
    "larsen",
    "okafor",
    "kowalski",
    "nguyen",
    "haddad",
    "fischer",
    "moreau",
    "ivanova",
    "santos",
    "berg",
    "lindqvist",
]
_DOMAINS = ("example.com", "example.org", "mail.example.net", "users.example.io")

CATEGORIES = [
    {"id": 1, "name": "Uncategorized", "slug": "uncategorized", "parent_category_id": None},
    {"id": 2, "name": "General", "slug": "general", "parent_category_id": None},
    {"id": 3, "name": "Events", "slug": "events", "parent_category_id": None},
    {"id": 4, "name": "Support", "slug": "support", "parent_category_id": None},
    {"id": 5, "name": "Meetups", "slug": "meetups", "parent_category_id": 3},
]

TAG_NAMES = [
    "announcement",
    "bug",
    "feature-request",
    "question",
    "howto",
    "android",
    "ios",
    "web",
    "desktop",
    "api",
    "billing",
    "onboarding",
    "meetup",
    "webinar",
    "release-notes",
    "security",
    "performance",
    "ux",
    "docs",
    "solved",
]

TAG_GROUPS = [
    ("Platforms", ["android", "ios", "web", "desktop", "api"], [], False),
    ("Status", ["solved"], [], True),
    ("Product areas", ["billing", "onboarding", "security", "performance", "ux"], [], False),
]

CUSTOM_GROUPS = [
    ("beta-testers", "Beta testers", 0, 40),
    ("support-team", "Support team", 0, 12),
    ("translators", "Translators", 1, 25),
    ("regional-emea", "EMEA community", 0, 60),
    ("moderation-helpers", "Moderation helpers", 2, 6),
]


def seed_users(rng: random.Random, count: int, now: datetime) -> list[dict[str, Any]]:
    """``count`` plausible accounts; ids from 1, the system user (-1) is added separately."""
    users: list[dict[str, Any]] = []
    taken: set[str] = set()
    emails: set[str] = set()

    def unique_email(email: str, uid: int) -> str:
        # Discourse keeps one account per address (UserEmail's uniqueness validation):
        # "riley.berg" and "riley_berg" must not share one. No random draw, so the rest of
        # the seeded forum is the same.
        if email.lower() in emails:
            local, domain = email.split("@", 1)
            email = f"{local}.{uid}@{domain}"
        emails.add(email.lower())
        return email

    for uid in range(1, count + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        base = rng.choice((f"{first}_{last}", f"{first}{last[:1]}", f"{first}.{last}", first))
        username = base
        while username.lower() in taken:
            username = f"{base}{rng.randint(2, 999)}"
        taken.add(username.lower())
        created = now - timedelta(days=rng.uniform(1, 1500))
        seen = created + (now - created) * rng.random()
        trust = rng.choices((0, 1, 2, 3, 4), weights=(20, 40, 25, 10, 5))[0]
        user: dict[str, Any] = {
            "id": uid,
            "username": username,
            "name": f"{first.title()} {last.title()}",
            "email": unique_email(f"{username.replace('.', '_')}@{rng.choice(_DOMAINS)}", uid),
            "trust_level": trust,
            "active": rng.random() > 0.04,
            "approved": rng.random() > 0.02,
            "admin": uid == 1,
            "moderator": uid in (2, 3, 4),
            "staged": rng.random() < 0.01,
            "created_at": created,
            "last_seen_at": seen,
            "post_count": 0 if trust == 0 and rng.random() < 0.6 else rng.randint(1, 400),
            "topic_count": rng.randint(0, 30),
            "ip_address": f"198.51.100.{rng.randint(1, 254)}",
            "suspended_till": None,
            "suspended_at": None,
            "suspend_reason": "",
            "silenced_till": None,
            "silenced_at": None,
            "silence_reason": "",
        }
        if uid == 1:
            user.update(username="admin", name="Forum Admin", email="admin@example.com",
                        trust_level=4, active=True, approved=True, staged=False)  # fmt: skip
        elif uid > 4 and rng.random() < 0.03:
            user.update(
                suspended_at=now - timedelta(days=rng.randint(1, 20)),
                suspended_till=now + timedelta(days=rng.choice((3, 14, 90, 36500))),
                suspend_reason=rng.choice(("Spam", "Repeated rule violations", "Harassment")),
            )
        elif uid > 4 and rng.random() < 0.03:
            user.update(
                silenced_at=now - timedelta(days=rng.randint(1, 5)),
                silenced_till=now + timedelta(days=rng.choice((1, 7, 30))),
                silence_reason=rng.choice(("Off-topic flooding", "Heated replies")),
            )
        users.append(user)
    return users


def seed_topics(rng: random.Random, user_ids: list[int], now: datetime) -> list[dict[str, Any]]:
    topics = []
    subjects = ("Login fails on", "How do I configure", "Feedback about", "Crash when opening",
                "Ideas for", "Question about", "Weekly thread:", "Release")  # fmt: skip
    objects = ("the mobile app", "notifications", "SSO", "dark mode", "exports", "the API",
               "search", "billing page", "badges", "the editor")  # fmt: skip
    for tid in range(1, 161):
        title = f"{rng.choice(subjects)} {rng.choice(objects)} #{tid}"
        created = now - timedelta(days=rng.uniform(0, 700))
        topics.append(
            {
                "id": tid,
                "title": title,
                "slug": "-".join(title.lower().replace("#", "").replace(":", "").split()),
                "category_id": rng.choice((1, 2, 2, 4, 4, 4)),
                "tags": sorted(rng.sample(TAG_NAMES, rng.choice((0, 1, 1, 2, 3)))),
                "created_at": created,
                "posts_count": rng.randint(1, 40),
                "views": rng.randint(5, 5000),
                "like_count": rng.randint(0, 60),
                "user_id": rng.choice(user_ids),
            }
        )
    return topics


def seed_events(rng: random.Random, now: datetime, first_topic_id: int) -> list[dict[str, Any]]:
    """About 70 events from three months back to six months ahead, in Events and Meetups."""
    events = []
    kinds = ("Community call", "Office hours", "Release party", "Local meetup", "AMA",
             "Workshop", "Hack night")  # fmt: skip
    places = ("Online", "Berlin", "Lisbon", "Toronto", "Nairobi", "Online", "Tokyo")
    start = (now - timedelta(days=90)).replace(minute=0, second=0, microsecond=0)
    for index in range(70):
        starts = start + timedelta(days=rng.uniform(0, 270))
        starts = starts.replace(minute=rng.choice((0, 30)), second=0, microsecond=0)
        all_day = rng.random() < 0.15
        if all_day:
            starts = starts.replace(hour=0, minute=0)
            ends = starts + timedelta(days=1)
        else:
            ends = starts + timedelta(minutes=rng.choice((30, 60, 90, 120)))
        name = f"{rng.choice(kinds)} {starts:%b %d}"
        events.append(
            {
                "id": first_topic_id * 10 + index,  # the id of the post holding the event
                "topic_id": first_topic_id + index,
                "name": name,
                "starts_at": starts,
                "ends_at": ends,
                "all_day": all_day,
                "timezone": rng.choice(("UTC", "Europe/Berlin", "America/Toronto")),
                "category_id": rng.choice((3, 3, 5)),
                "location": rng.choice(places),
                "description": f"{name}: everyone is welcome.",
                "status": "public",
            }
        )
    return sorted(events, key=lambda e: (e["starts_at"], e["id"]))


# --- state the server's rules read (seeded from their own random streams, so adding them left
# every earlier seeded value as it was) --------------------------------------------------------
# NotificationLevels.all: the levels of CategoryUser / TagUser rows and group defaults.
NOTIFICATION_LEVELS = {"muted": 0, "regular": 1, "tracking": 2, "watching": 3,
                       "watching_first_post": 4}  # fmt: skip

# Group notification defaults (GroupCategoryNotificationDefault / GroupTagNotificationDefault):
# group name -> ({category id: level}, {tag name: level}). Members get matching CategoryUser /
# TagUser rows when they join, which is what the "update a group" rule deletes.
GROUP_NOTIFICATION_DEFAULTS = {
    "regional-emea": ({3: NOTIFICATION_LEVELS["watching_first_post"]},
                      {"meetup": NOTIFICATION_LEVELS["tracking"]}),
}  # fmt: skip

# Posting history by trust level: (share with no posts, low, high). Newcomers rarely post;
# regulars and leaders are the long-time posters whom staff cannot delete.
_POSTS_BY_TRUST = {0: (0.7, 1, 3), 1: (0.3, 1, 8), 2: (0.05, 3, 80), 3: (0.0, 60, 600),
                   4: (0.0, 200, 2000)}  # fmt: skip


def seed_posting(users: list[dict[str, Any]], seed: int, now: datetime) -> None:
    """Post counts and first-post dates: what ``can_delete_user?`` looks at."""
    rng = random.Random(f"{seed}:posting")
    for user in users:
        none_share, low, high = _POSTS_BY_TRUST[user["trust_level"]]
        posts = 0 if rng.random() < none_share else rng.randint(low, high)
        if user["id"] == 1:
            posts = 1450  # the admin who set the forum up
        age = now - user["created_at"]
        first = user["created_at"] + min(age, timedelta(days=20)) * rng.random() if posts else None
        user.update(post_count=posts, first_post_at=first, manual_locked_trust_level=None,
                    topic_count=min(user["topic_count"], posts), category_levels={},
                    tag_levels={})  # fmt: skip


# The users whose own notification choice differs from their group's default (they muted the
# category after joining): their rows do not match the default, so a rename counts them out.
def seed_group_notifications(groups: list[dict[str, Any]], users: dict[int, dict[str, Any]],
                             seed: int) -> None:  # fmt: skip
    rng = random.Random(f"{seed}:notifications")
    for group in groups:
        categories, tags = GROUP_NOTIFICATION_DEFAULTS.get(group["name"], ({}, {}))
        group["category_defaults"] = dict(categories)
        group["tag_defaults"] = dict(tags)
        for uid in group["members"]:
            user = users[uid]
            for category_id, level in categories.items():
                mine = NOTIFICATION_LEVELS["muted"] if rng.random() < 0.15 else level
                user["category_levels"].setdefault(category_id, mine)
            for tag, level in tags.items():
                user["tag_levels"].setdefault(tag, level)


# Recurring events (discourse-calendar `recurrence` values and their RRULEs), in Support.
RECURRENCES = {
    "every_week": ("FREQ=WEEKLY", timedelta(weeks=1)),
    "every_two_weeks": ("FREQ=WEEKLY;INTERVAL=2", timedelta(weeks=2)),
    "every_day": ("FREQ=DAILY", timedelta(days=1)),
}


def seed_recurring_events(seed: int, now: datetime, first_id: int, first_topic_id: int):
    """Three series that started months ago and repeat past the end of the seeded calendar."""
    rng = random.Random(f"{seed}:recurring")
    series = (("Support office hours", "every_week", 60),
              ("Contributor sync", "every_two_weeks", 90),
              ("Daily stand-up (staff)", "every_day", 30))  # fmt: skip
    events = []
    for index, (name, recurrence, minutes) in enumerate(series):
        starts = (now - timedelta(days=rng.randint(100, 200))).replace(
            hour=rng.choice((9, 15, 17)), minute=0, second=0, microsecond=0
        )
        events.append(
            {
                "id": first_id + index,
                "topic_id": first_topic_id + index,
                "name": name,
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=minutes),
                "all_day": False,
                "timezone": "UTC",
                "category_id": 4,
                "location": "Online",
                "description": f"{name}: drop in any time.",
                "status": "public",
                "recurrence": recurrence,
                "recurrence_until": None,
            }
        )
    return events
