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


def month_starts(today: date, months: int = MONTHS) -> list[date]:
    """The first days of the chart's months, oldest first."""
    return _month_starts(today, months)


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


# -- line chart: the growth journal --------------------------------------------------------

LINE_HEIGHT, LINE_BASELINE, LINE_TOP = 260, 210, 16
LESSON_BAR_MAX = 36  # px: lessons-per-week bars stand on the baseline, on their own small scale


@dataclass
class LineSeries:
    label: str
    points: list[tuple[date, int]]  # (day, value), in date order


@dataclass
class PlottedLine:
    colour: str
    label: str
    path: str  # an SVG polyline's "points"
    dots: list[tuple[float, float, str]]  # (x, y, tooltip)


@dataclass
class Milestone:
    x: float
    label: str


@dataclass
class WeekBar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass
class LineChart:
    lines: list[PlottedLine]
    milestones: list[Milestone]
    weeks: list[WeekBar]
    ticks: list[tuple[float, str]]  # x labels (month starts)
    max_value: int
    width: int = WIDTH
    height: int = LINE_HEIGHT
    baseline: int = LINE_BASELINE
    top: int = LINE_TOP
    left: int = LEFT

    @property
    def empty(self) -> bool:
        return not self.lines and not self.milestones and not self.weeks


def _nice_ceiling(value: int) -> int:
    """The next round number at or above `value` (10, 20, 50, 100, 200, 500, …)."""
    if value <= 10:
        return 10
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def line_chart(
    series: list[LineSeries],
    *,
    start: date,
    end: date,
    milestones: list[tuple[date, str]] = (),
    weekly: list[tuple[date, int]] = (),
) -> LineChart:
    """Values over time, one line per series, on the timeline from `start` to `end`, with
    milestones (vertical markers) and weekly counts (small bars on the baseline) on it."""
    span = max((end - start).days, 1)
    plot_width = WIDTH - LEFT - 12

    def x_of(day: date) -> float:
        return round(LEFT + plot_width * (day - start).days / span, 1)

    top_value = max((v for s in series for _, v in s.points), default=0)
    max_value = _nice_ceiling(top_value)
    height = LINE_BASELINE - LINE_TOP

    def y_of(value: int) -> float:
        return round(LINE_BASELINE - height * value / max_value, 1)

    lines = []
    for index, s in enumerate(series):
        inside = [(day, value) for day, value in s.points if start <= day <= end]
        if not inside:
            continue
        dots = [(x_of(d), y_of(v), f"{s.label}: {v:,} on {d.day} {d:%b %Y}") for d, v in inside]
        lines.append(
            PlottedLine(
                colour=PALETTE[index % len(PALETTE)],
                label=s.label,
                path=" ".join(f"{x},{y}" for x, y, _ in dots),
                dots=dots,
            )
        )
    marks = [Milestone(x_of(day), label) for day, label in milestones if start <= day <= end]
    most = max((n for _, n in weekly), default=0)
    bar_width = max(round(plot_width * 7 / span - 2, 1), 2)
    weeks = [
        WeekBar(
            x=x_of(monday),
            y=round(LINE_BASELINE - LESSON_BAR_MAX * n / most, 1),
            width=bar_width,
            height=round(LESSON_BAR_MAX * n / most, 1),
            label=f"Week of {monday.day} {monday:%b}: {n} lesson{'s' if n != 1 else ''} completed",
        )
        for monday, n in weekly
        if n and start <= monday <= end
    ]
    ticks = []
    month = date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            ticks.append(
                (x_of(month), f"{month:%b %Y}" if month.month == 1 or not ticks else f"{month:%b}")
            )
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return LineChart(lines=lines, milestones=marks, weeks=weeks, ticks=ticks, max_value=max_value)
