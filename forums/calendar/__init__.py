"""The calendar across forums: events merged into a month grid and an agenda, and private
iCalendar feeds of them."""
