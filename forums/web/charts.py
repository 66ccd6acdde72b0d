"""Small horizontal bar charts drawn as inline SVG on the server: no script, no CDN, nothing
the Content-Security-Policy refuses (classes and SVG presentation attributes, never ``style=``).
Each chart carries its numbers as text too (``Chart.description``) for screen readers."""

from __future__ import annotations

from dataclasses import dataclass, field

# viewBox units. The SVG scales to its box (site.css), a fleet panel's ~260 px, so a unit is
# about a pixel and site.css's 12-unit text reads at 11 px or more (issue 26: it was 8 px).
WIDTH = 260
LABEL_WIDTH = 112
ROW_HEIGHT = 22
BAR_HEIGHT = 14


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: no value (drawn as a note, not a bar)
    text: str  # the value, short, drawn at the end of the bar
    css: str = ""  # e.g. "ok", "bad", "warn"
    marker: float | None = None  # a threshold line drawn on this row
    href: str = ""
    detail: str = ""  # the value in words for screen readers (default: ``text``)


@dataclass(frozen=True)
class PlacedBar:
    bar: Bar
    y: float
    text_y: float
    width: float
    text_x: float
    marker_x: float | None
    marker_y1: float
    marker_y2: float


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    bars: list[PlacedBar] = field(default_factory=list)
    width: int = WIDTH
    height: int = 0
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def bar_chart(*, title: str, bars: list[Bar], unit: str = "") -> Chart:
    """Bars scaled to the largest value or marker (so a threshold line always shows)."""
    scale_to = max(
        [b.value for b in bars if b.value is not None] + [b.marker for b in bars if b.marker]
        or [1.0]
    )
    scale_to = scale_to or 1.0
    room = WIDTH - LABEL_WIDTH - 52  # space for the value's text after the longest bar
    placed = []
    for index, bar in enumerate(bars):
        y = index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        width = 0.0 if bar.value is None else max(room * bar.value / scale_to, 1.0)
        marker_x = LABEL_WIDTH + room * bar.marker / scale_to if bar.marker else None
        placed.append(
            PlacedBar(
                bar=bar,
                y=round(y, 1),
                text_y=round(y + BAR_HEIGHT - 3, 1),
                width=round(width, 1),
                text_x=round(LABEL_WIDTH + width + 4, 1),
                marker_x=round(marker_x, 1) if marker_x is not None else None,
                marker_y1=round(y - 3, 1),
                marker_y2=round(y + BAR_HEIGHT + 3, 1),
            )
        )
    description = "; ".join(f"{b.label}: {b.detail or b.text}" for b in bars) or "Nothing to show."
    return Chart(
        title=title,
        description=description,
        bars=placed,
        height=max(len(bars), 1) * ROW_HEIGHT,
    )
