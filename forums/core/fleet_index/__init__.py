"""The fleet index's rows, as every area reads and writes them: Forumdeck's own picture of each
forum's accounts, groups and tags (``reads``), kept current by whatever sees a forum's answer
(``rows``), and the Groups and Tags pages' lists from it (``lists``). The index area
(``forums.index``) fills it: first reads, polls, the webhook receiver and its page."""
