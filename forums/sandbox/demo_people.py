"""The demo's people: data only, shared by the demo and the sandboxes that seed them."""

from __future__ import annotations

# People with an account on every demo forum (same e-mail address, not always the same
# username; UserEcho has none, so its "username" is the profile slug), so the People page
# shows one person across forums.
DEMO_PEOPLE = (
    {"email": "maria.lopez@example.org", "name": "Maria Lopez",
     "usernames": {"discourse": "maria_lopez", "nodebb": "mlopez", "userecho": "maria-lopez"}},
    {"email": "tom.becker@example.org", "name": "Tom Becker",
     "usernames": {"discourse": "tbecker", "nodebb": "tbecker", "userecho": "tom-becker"}},
    {"email": "yuki.tanaka@example.org", "name": "Yuki Tanaka",
     "usernames": {"discourse": "yuki", "nodebb": "yuki_t", "userecho": "yuki-tanaka"}},
)  # fmt: skip
