"""The analytics page over incidents played on a fake clock, its bad parameters and its charts.

Incidents (UTC; the page is read at Wed 2025-11-19 12:00, in ISO week 2025-W47):

    inc sev service   detected             acknowledged   resolved    week
    E   P2  checkout  Tue 2025-10-21 10:00  +5m            +1h         W43
    A   P1  checkout  Tue 2025-11-04 10:00  +10m           +3h         W45
    B   P1  checkout  Thu 2025-11-06 02:00  +20m           +5h         W45
    C   P2  payments  Mon 2025-11-10 09:00  +30m           +2h         W46
    D   P3  payments  Wed 2025-11-19 08:00  +1h            open        W47

alice (UTC) is paged for A (Tue 10:00, business hours) and B (Thu 02:00, out of hours).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from warroom.change import Change
from warroom.clock import FakeClock
from warroom.incidents import service as incidents
from warroom.notifications import service as outbox
from warroom.services.service import create_service
from warroom.severity import DEFAULT_SCHEME
from warroom.users.models import User
from warroom.web.ui import charts

Browser = Callable[[str], TestClient]
NOW = datetime(2025, 11, 19, 12, 0, tzinfo=UTC)
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


def at(month: int, day: int, hour: int) -> datetime:
    """A moment in 2025, UTC."""
    return datetime(2025, month, day, hour, tzinfo=UTC)


# letter: severity, service, detected, acknowledged after, resolved after
PLAN: dict[str, tuple[str, str, datetime, timedelta, timedelta | None]] = {
    "E": ("P2", "checkout", at(10, 21, 10), 5 * MINUTE, 1 * HOUR),
    "A": ("P1", "checkout", at(11, 4, 10), 10 * MINUTE, 3 * HOUR),
    "B": ("P1", "checkout", at(11, 6, 2), 20 * MINUTE, 5 * HOUR),
    "C": ("P2", "payments", at(11, 10, 9), 30 * MINUTE, 2 * HOUR),
    "D": ("P3", "payments", at(11, 19, 8), 1 * HOUR, None),
}


@pytest.fixture
def clock() -> FakeClock:
    """A clock early enough to play the plan forwards."""
    return FakeClock(datetime(2025, 10, 1, 9, 0, tzinfo=UTC))


def play(session: Session, change: Change, clock: FakeClock, letters: str = "EABCD") -> None:
    """Declare, page, acknowledge and resolve the plan's incidents in time order."""
    for name in ("checkout", "payments"):
        create_service(session, change=change, name=name)
    alice = session.scalars(select(User).where(User.handle == "alice")).one()
    for letter in letters:
        severity, service_name, detected, acked, resolved = PLAN[letter]
        clock.set(detected)
        incident = incidents.declare(
            session,
            change=change,
            scheme=DEFAULT_SCHEME,
            title=f"Incident {letter}",
            severity=severity,
            service=service_name,
        )
        session.flush()
        if letter in "AB":
            outbox.enqueue_pages(
                session, incident=incident, users=[alice], step=0, round_number=0, now=detected
            )
        for after, status in ((acked, "acknowledged"), (resolved, "resolved")):
            if after is not None:
                clock.set(detected + after)
                incidents.change_status(
                    session,
                    change=change,
                    scheme=DEFAULT_SCHEME,
                    incident=incident,
                    status=status,
                )
        session.commit()
    clock.set(NOW)


class _Tables(HTMLParser):
    """Cells of every table with an id, as whitespace-normalised text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("id"):
            self._table = self.tables.setdefault(str(dict(attrs)["id"]), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table is not None and self._cell is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def chart(html: str, chart_id: str) -> str:
    start = html.index(f'id="{chart_id}"')
    return html[start : html.index("</svg>", start)]


@pytest.fixture
def played(session: Session, change: Change, clock: FakeClock, web_users: dict[str, str]) -> None:
    play(session, change, clock)


@pytest.mark.usefixtures("played")
def test_weekly_times_to_acknowledge_and_resolve(browser: Browser):
    html = browser("vera").get("/analytics", params={"weeks": "4"}).text
    found = tables(html)
    header = ["Week", "Acknowledged", "Mean", "Median", "90th pct", "Never acknowledged"]
    assert found["table-mtta"] == [
        header,
        ["2025-W44", "0", "—", "—", "—", "0"],
        # A 600 s, B 1200 s: mean 900; p50 rank 1 -> 600; p90 rank 2 -> 1200.
        ["2025-W45", "2", "15m", "10m", "20m", "0"],
        ["2025-W46", "1", "30m", "30m", "30m", "0"],
        ["2025-W47", "1", "1h", "1h", "1h", "0"],
    ]
    assert found["table-mttr"][1:] == [
        ["2025-W44", "0", "—", "—", "—", "0"],
        ["2025-W45", "2", "4h", "3h", "5h", "0"],  # 10800 s and 18000 s
        ["2025-W46", "1", "2h", "2h", "2h", "0"],
        ["2025-W47", "0", "—", "—", "—", "1"],
    ]
    # Overall: acknowledged 600, 1200, 1800, 3600 -> 1800; resolved 10800, 18000, 7200 -> 12000.
    assert '<dd id="mtta-mean">30m</dd>' in html
    assert '<dd id="mttr-mean">3h20m</dd>' in html
    mtta = chart(html, "chart-mtta")
    assert mtta.count('<circle class="point"') == 3  # W44 has no value
    assert "<title>W45: 15.0 minutes</title>" in mtta
    assert "Mean, hours" in chart(html, "chart-mttr")


@pytest.mark.usefixtures("played")
def test_incidents_per_week_by_severity_and_per_service(browser: Browser):
    client = browser("vera")
    html = client.get("/analytics", params={"weeks": "4"}).text
    found = tables(html)
    assert found["table-weeks"] == [
        ["Week", "Starts", "◆ P1", "▲ P2", "● P3", "○ P4", "Total"],
        ["2025-W44", "27 Oct 2025", "0", "0", "0", "0", "0"],
        ["2025-W45", "03 Nov 2025", "2", "0", "0", "0", "2"],
        ["2025-W46", "10 Nov 2025", "0", "1", "0", "0", "1"],
        ["2025-W47", "17 Nov 2025", "0", "0", "1", "0", "1"],
    ]
    weeks = chart(html, "chart-weeks")
    assert weeks.count('<g class="bar">') == 4
    assert weeks.count("<rect x=") == 3  # one filled part per non-empty week
    for index, level in enumerate(["P1", "P2", "P3", "P4"]):  # told apart by pattern and label
        assert f'<pattern id="chart-weeks-s{index}"' in weeks
        assert f">{level}</text>" in weeks
    assert found["table-services"] == [
        ["Service", "Incidents"],
        ["checkout", "2"],
        ["payments", "2"],
    ]
    assert chart(html, "chart-services").count('<g class="bar">') == 2
    # Five weeks reach back to E in W43.
    longer = tables(client.get("/analytics", params={"weeks": "5"}).text)
    assert longer["table-weeks"][1] == ["2025-W43", "20 Oct 2025", "0", "1", "0", "0", "1"]
    assert longer["table-services"][1] == ["checkout", "3"]


@pytest.mark.usefixtures("played")
def test_sla_compliance_per_severity(browser: Browser):
    found = tables(browser("vera").get("/analytics", params={"weeks": "4"}).text)
    header = ["Severity", "Target", "Met", "Breached", "Not yet due", "Met %"]
    assert found["table-sla-ack"] == [
        header,
        ["◆ P1", "15m", "1", "1", "0", "50.00%"],  # A 10m met, B 20m late
        ["▲ P2", "30m", "0", "1", "0", "0.00%"],  # C at exactly 30m: the deadline is a breach
        ["● P3", "2h", "1", "0", "0", "100.00%"],
        ["○ P4", "1d", "0", "0", "0", "—"],
    ]
    assert found["table-sla-resolve"][1:] == [
        ["◆ P1", "4h", "1", "1", "0", "50.00%"],
        ["▲ P2", "8h", "1", "0", "0", "100.00%"],
        ["● P3", "1d", "0", "0", "1", "—"],  # D is open and within 24 h
        ["○ P4", "7d", "0", "0", "0", "—"],
    ]


@pytest.mark.usefixtures("played")
def test_on_call_load_counts_out_of_hours_pages(browser: Browser):
    html = browser("vera").get("/analytics", params={"weeks": "4"}).text
    assert tables(html)["table-oncall"] == [
        ["Person", "Time zone", "Pages", "Out of hours"],
        ["Alice (alice)", "UTC", "2", "1"],
    ]
    assert "2 pages, 1 out of hours" in chart(html, "chart-oncall")


@pytest.mark.usefixtures("played")
def test_one_service(browser: Browser):
    html = browser("vera").get("/analytics", params={"weeks": "4", "service": "payments"}).text
    found = tables(html)
    assert found["table-services"] == [["Service", "Incidents"], ["payments", "2"]]
    assert [row[-1] for row in found["table-weeks"][1:]] == ["0", "0", "1", "1"]
    assert '<option value="payments" selected>' in html
    assert "Nobody was paged" in html


def test_no_incidents_says_so_instead_of_charts(browser: Browser):
    html = browser("vera").get("/analytics").text
    assert "No incidents in this period" in html
    assert "<svg" not in html
    assert "ISO weeks 2025-W29 to 2025-W40" in html  # twelve weeks up to the clock's week


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"weeks": "abc"}, "weeks"),
        ({"weeks": "105"}, "weeks"),
        ({"weeks": "0"}, "weeks"),
        ({"weeks": "-3"}, "weeks"),
        ({"weeks": "1e3"}, "weeks"),
        ({"service": "nope"}, "service"),
    ],
)
def test_bad_parameters_are_a_422_page_naming_them(
    browser: Browser, params: dict[str, str], named: str
):
    answer = browser("vera").get("/analytics", params=params)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert (
        f'<p class="flash error" role="alert" id="a-problem"><strong>{named}</strong>:'
        in answer.text
    )
    assert "<svg" not in answer.text


@pytest.mark.usefixtures("played")
def test_the_longest_period_is_allowed(browser: Browser):
    html = browser("vera").get("/analytics", params={"weeks": "104"}).text
    assert len(tables(html)["table-weeks"]) == 105
    assert chart(html, "chart-weeks").count('<g class="bar">') == 104


def test_the_page_has_no_inline_styles_or_scripts(
    browser: Browser, session: Session, change: Change, clock: FakeClock
):
    play(session, change, clock)
    answer = browser("vera").get("/analytics")
    assert answer.status_code == 200
    assert not re.search(r"\sstyle=", answer.text)
    assert "<script>" not in answer.text
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.text.count('<svg class="chart') == 6
    assert answer.text.count('role="img" ') == 6


def test_queries_do_not_grow_with_the_incidents(
    browser: Browser, session: Session, change: Change, clock: FakeClock, engine: Engine
):
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def queries(client: TestClient) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/analytics", params={"weeks": "8"}).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    play(session, change, clock, letters="EA")
    few = queries(browser("vera"))
    clock.set(NOW + timedelta(minutes=1))
    for number in range(20):
        incidents.declare(
            session, change=change, scheme=DEFAULT_SCHEME, title=f"more {number}", severity="P3"
        )
    session.commit()
    assert queries(browser("vera")) == few


def test_nice_scales_and_their_ticks():
    assert [charts.nice_ceiling(v) for v in (0, 0.3, 1, 3, 7, 12, 19, 240, 1001)] == [
        1.0,
        0.5,
        1.0,
        5.0,
        10.0,
        20.0,
        20.0,
        250.0,
        2000.0,
    ]
    assert charts.Scale(10, 200).ticks() == [0, 2, 4, 6, 8, 10]
    assert charts.Scale(1, 100, whole=True).ticks() == [0, 1]
    assert charts.Scale(2.5, 100).ticks() == [0, 0.5, 1, 1.5, 2, 2.5]
    assert charts.Scale(100, 400).at(25) == 100
    assert charts.Scale(100, 400).at(250) == 400  # clamped
    assert charts.time_unit(30 * 60) == (60.0, "minutes")
    assert charts.time_unit(5 * 3600) == (3600.0, "hours")
    assert charts.time_unit(3 * 86400) == (86400.0, "days")


def test_empty_charts_say_no_data():
    for drawn in (
        charts.columns("c", "Nothing", [], ["a"], x_label="x", y_label="y"),
        charts.bars("b", "Nothing", [], ["a"], x_label="x"),
        charts.line(
            "l", "Nothing", ["W1", "W2"], [None, None], x_label="x", y_label="y", words=str
        ),
    ):
        assert drawn.startswith('<svg class="chart')
        assert ">No data</text>" in drawn
        assert "<rect x=" not in drawn
        assert "NaN" not in drawn


def test_a_single_point_and_a_single_column():
    point = charts.line("l", "One", ["W1"], [4.0], x_label="x", y_label="y", words=str)
    assert '<circle class="point" cx="344" cy="57.6" r="3.5"><title>W1: 4.0</title>' in point
    assert "<polyline" not in point  # nothing to join
    gap = charts.line(
        "g", "Gap", ["a", "b", "c"], [1.0, None, 1.0], x_label="x", y_label="y", words=str
    )
    assert "<polyline" not in gap
    assert gap.count("<circle") == 2
    joined = charts.line("j", "Two", ["a", "b"], [1.0, 2.0], x_label="x", y_label="y", words=str)
    assert joined.count("<polyline") == 1
    column = charts.columns(
        "c", "One", [charts.BarRow("W1", (3.0, 1.0), "4")], ["P1", "P2"], x_label="x", y_label="y"
    )
    assert column.count('<g class="bar">') == 1
    assert 'fill="url(#c-s0)"' in column
    assert 'fill="url(#c-s1)"' in column
    assert '<text class="value" x="344" y="' in column
    assert ">4</text>" in column


def test_chart_text_is_escaped():
    drawn = charts.bars("b", "<b>", [charts.BarRow("<script>", (1.0,), "&")], ["x"], x_label="<i>")
    assert "<script>" not in drawn
    assert "&lt;script&gt;" in drawn
    assert "<b>" not in drawn
    assert "&amp;" in drawn


def test_the_figures_are_kept_until_an_incident_changes(
    browser: Browser, session: Session, change: Change, clock: FakeClock
):
    viewer = browser("vera")
    assert "No incidents in this period" in viewer.get("/analytics").text
    assert "No incidents in this period" in viewer.get("/analytics").text  # kept, same minute
    create_service(session, change=change, name="checkout")
    incidents.declare(
        session,
        change=change,
        scheme=DEFAULT_SCHEME,
        title="Checkout down",
        severity="P1",
        service="checkout",
    )
    session.commit()
    html = viewer.get("/analytics").text  # the same minute, but an incident was added
    assert "No incidents in this period" not in html
    assert '<p class="figure" id="incident-total">1</p>' in html
