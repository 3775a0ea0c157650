"""Server-rendered SVG bar charts (no chart library, no scripts)."""

from dataclasses import dataclass
from datetime import date

PALETTE = ["#3b2fc9", "#0f766e", "#b45309", "#be185d", "#4d7c0f", "#1d4ed8"]
MONTHS = 6
WIDTH, HEIGHT, BASELINE, LEFT = 640, 220, 180, 36


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str


@dataclass
class BarChart:
    months: list[tuple[float, str]]  # (x of the label, "Nov 2026")
    bars: list[Bar]
    legend: list[tuple[str, str]]  # (colour, track title)
    max_value: int
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = BASELINE
    left: int = LEFT

    @property
    def empty(self) -> bool:
        return not self.bars


def _month_starts(today: date, count: int) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def monthly_bars(series, *, today: date, months: int = MONTHS) -> BarChart:
    """Completions per month (last `months` months), one bar per track in each month."""
    starts = _month_starts(today, months)
    values = {
        (s.track_title, point[0].replace(day=1)): point[1] for s in series for point in s.points
    }
    max_value = max([v for (_, month), v in values.items() if month in starts] or [0])
    slot = (WIDTH - LEFT) / months
    group = slot * 0.8
    bar_width = group / max(len(series), 1)
    bars = []
    for index, start in enumerate(starts):
        for s_index, s in enumerate(series):
            value = values.get((s.track_title, start), 0)
            if not value:
                continue
            height = (BASELINE - 20) * value / max_value
            bars.append(
                Bar(
                    x=round(LEFT + index * slot + slot * 0.1 + s_index * bar_width, 1),
                    y=round(BASELINE - height, 1),
                    width=round(bar_width - 2, 1),
                    height=round(height, 1),
                    colour=PALETTE[s_index % len(PALETTE)],
                    label=f"{s.track_title}: {value} in {start:%B %Y}",
                )
            )
    return BarChart(
        months=[(round(LEFT + i * slot + slot / 2, 1), f"{m:%b %Y}") for i, m in enumerate(starts)],
        bars=bars,
        legend=[(PALETTE[i % len(PALETTE)], s.track_title) for i, s in enumerate(series)],
        max_value=max_value,
    )
