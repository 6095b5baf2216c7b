"""The engine loop, ``warroom engine``/``serve --no-engine``, and the service and escalate CLI."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.escalation.conftest import Outbox
from warroom.actor import SYSTEM
from warroom.change import Change
from warroom.cli import main
from warroom.cli import serve as serve_module
from warroom.clock import FakeClock, SystemClock
from warroom.db import make_session_factory
from warroom.demo import seed_demo
from warroom.engine.loop import Engine
from warroom.escalation import policies, runner
from warroom.incidents import service as incidents
from warroom.incidents.models import Incident
from warroom.severity import DEFAULT_SCHEME


class Counting:
    """A module that counts its runs and fails when told to."""

    name = "counting"

    def __init__(self, fail: bool = False) -> None:
        self.runs = 0
        self.fail = fail
        self.ran = threading.Event()

    def run(self, session: Session, now: datetime) -> int:
        self.runs += 1
        if self.runs >= 3:
            self.ran.set()
        if self.fail:
            raise RuntimeError("broken module")
        return 1


def test_run_ticks_on_its_interval_and_stops_when_told(engine):
    healthy, broken = Counting(), Counting(fail=True)
    loop = Engine(make_session_factory(engine), FakeClock(), [broken, healthy], interval=0.01)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,))
    thread.start()
    assert healthy.ran.wait(timeout=5)  # a failing module does not stop the others or the loop
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert broken.runs >= 3


def test_tick_runs_every_module_and_reports_the_first_failure(engine):
    healthy, broken = Counting(), Counting(fail=True)
    loop = Engine(make_session_factory(engine), FakeClock(), [broken, healthy], interval=1.0)
    with pytest.raises(RuntimeError, match="broken"):
        loop.tick()
    assert (healthy.runs, broken.runs) == (1, 1)
    assert Engine(make_session_factory(engine), FakeClock(), [healthy]).tick() == {"counting": 1}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.fixture
def cli(database_url, engine, monkeypatch) -> None:
    """The CLI pointed at the test database, its clock at 2025-11-01 09:00 UTC."""
    monkeypatch.setenv("WARROOM_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(SystemClock, "now", lambda self: datetime(2025, 11, 1, 9, tzinfo=UTC))


@pytest.mark.parametrize(("flag", "runs_engine"), [(None, True), ("--no-engine", False)])
def test_serve_runs_the_engine_unless_told_not_to(cli, capsys, monkeypatch, flag, runs_engine):
    seen: list[bool] = []

    def fake_uvicorn_run(*args: object, **kwargs: object) -> None:
        seen.append(any(t.name == "warroom-engine" for t in threading.enumerate()))

    monkeypatch.setattr(serve_module.uvicorn, "run", fake_uvicorn_run)
    code, _, err = run(capsys, "serve", *([flag] if flag else []))
    assert (code, err) == (0, "")
    assert seen == [runs_engine]
    assert not any(t.name == "warroom-engine" for t in threading.enumerate())


def test_engine_command_rejects_a_bad_interval(cli, capsys):
    code, _, err = run(capsys, "engine", "--interval", "0")
    assert code == 2
    assert "interval" in err


def test_service_declare_and_escalate_from_the_cli(
    cli, capsys, session: Session, change: Change, people, engine
):
    steps = [
        policies.StepSpec("0s", [{"user": "alice"}]),
        policies.StepSpec("10m", [{"user": "bob"}]),
    ]
    policies.create_policy(session, change=change, name="ops", steps=steps)
    policies.create_policy(session, change=change, name="db", steps=steps[1:])
    session.commit()
    code, out, err = run(
        capsys, "service", "create", "--name", "checkout", "--escalation-policy", "ops"
    )
    assert (code, err) == (0, "")
    assert "service checkout created (ops)" in out
    code, out, _ = run(capsys, "service", "list", "--json")
    assert [(s["name"], s["escalation_policy"]) for s in json.loads(out)] == [("checkout", "ops")]
    code, _, err = run(capsys, "service", "create", "--name", "x", "--escalation-policy", "nope")
    assert code == 1
    assert "no escalation policy called 'nope'" in err

    code, out, err = run(
        capsys,
        "incident",
        "declare",
        "--title",
        "Down",
        "--severity",
        "P1",
        "--service",
        "checkout",
    )
    assert (code, err) == (0, "")
    assert "escalating by policy ops" in out
    ref = out.split()[0]
    code, out, err = run(capsys, "incident", "escalate", ref, "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["paged"] == ["alice"]
    assert result["escalation"]["next_step"] == 2
    code, out, _ = run(capsys, "incident", "escalate", ref)
    assert code == 0
    assert f"{ref}: paged bob" in out
    assert "escalation exhausted" in out
    code, _, err = run(capsys, "incident", "escalate", ref)
    assert code == 1
    assert "exhausted" in err

    code, out, _ = run(
        capsys,
        "incident",
        "declare",
        "--title",
        "DB slow",
        "--severity",
        "P2",
        "--service",
        "checkout",
        "--escalation-policy",
        "db",
        "--json",
    )
    assert code == 0
    other = json.loads(out)["ref"]
    code, out, _ = run(capsys, "incident", "escalate", other, "--json")
    assert json.loads(out)["paged"] == ["bob"]
    box = Outbox(engine)
    assert [p[:2] for p in box.new()] == [(ref, "alice"), (ref, "bob"), (other, "bob")]


def test_the_demo_pages_checkout_incidents_by_its_policy(
    session: Session, clock: FakeClock, settings, ticker, outbox
):
    seed_demo(session, clock=clock, settings=settings)
    # The demo's alert already opened a checkout incident; resolved, it pages nobody here.
    (from_alert,) = session.scalars(select(Incident).where(Incident.group_key.is_not(None)))
    incidents.change_status(
        session,
        change=Change(actor=SYSTEM, clock=clock),
        scheme=DEFAULT_SCHEME,
        incident=from_alert,
        status="resolved",
    )
    session.commit()
    incident = incidents.declare(
        session,
        change=Change(actor=SYSTEM, clock=clock),
        scheme=DEFAULT_SCHEME,
        title="Checkout 502s",
        severity="P1",
        service="checkout",
    )
    runner.start(session, change=Change(actor=SYSTEM, clock=clock), incident=incident)
    session.commit()
    ticker.tick()
    outbox.expect("alice")  # platform-primary has alice on call (see tests/test_demo.py)
    clock.advance(minutes=15)
    ticker.tick()
    outbox.expect("dmitri")
