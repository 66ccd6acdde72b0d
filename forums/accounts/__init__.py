"""People & roles: Forumdeck's own accounts, their roles, and four eyes on changing them."""
