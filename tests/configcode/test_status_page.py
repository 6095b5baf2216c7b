"""The status page's components and groups as code: apply by name in a group, status untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.configcode.conftest import ApplyText, snapshot
from tests.configcode.test_errors import position
from warroom.change import Change
from warroom.cli import main
from warroom.clock import FakeClock
from warroom.configcode.export import export
from warroom.configcode.yamlreader import DocumentInvalid
from warroom.statuspage import components
from warroom.statuspage.models import StatusComponent
from warroom.users.models import AuditEntry

SERVICES = """\
services:
  - {name: checkout-api}
  - {name: search}
"""
PAGE = """\
status_page:
  components:
    - name: Shop
      components:
        - {name: Checkout, description: Cart and payment, services: [checkout-api], position: 1}
        - {name: Search, services: [search], only_show_if_degraded: false}
    - {name: Status API, description: The API, follow_incidents: false, showcase: false}
"""
DOCUMENT = SERVICES + PAGE
CREATED = [
    "+ create service checkout-api",
    "+ create service search",
    "+ create status page group Shop",
    "+ create status page component Shop/Checkout",
    "+ create status page component Shop/Search",
    "+ create status page component Status API",
    "= 0 unchanged",
]


def by_name(session: Session) -> dict[str, StatusComponent]:
    """Every component by name (the test documents use each name once)."""
    session.expire_all()
    return {c.name: c for c in components.list_components(session)}


def audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_apply_creates_groups_and_components_then_changes_nothing(
    apply_text: ApplyText, session: Session, engine: Engine, clock: FakeClock
):
    assert apply_text(DOCUMENT).lines() == CREATED
    page = by_name(session)
    shop, checkout, search, api = (page[n] for n in ("Shop", "Checkout", "Search", "Status API"))
    assert (shop.is_group, shop.group_id) == (True, None)
    assert (checkout.group_id, search.group_id, api.group_id) == (shop.id, shop.id, None)
    assert (checkout.description, checkout.services, checkout.position) == (
        "Cart and payment",
        ["checkout-api"],
        1,
    )
    assert (search.services, search.position, search.follow_incidents) == (["search"], 2, True)
    assert (api.position, api.showcase, api.follow_incidents) == (2, False, False)
    assert {c.status for c in page.values()} == {"operational"}
    before, audits = snapshot(engine), audit_count(session)
    clock.advance(minutes=5)
    assert apply_text(DOCUMENT).lines() == ["= 6 unchanged"]
    assert snapshot(engine) == before
    assert audit_count(session) == audits


def test_a_changed_field_is_an_update_and_a_left_out_field_its_default(
    apply_text: ApplyText, session: Session
):
    apply_text(DOCUMENT)
    changed = DOCUMENT.replace("only_show_if_degraded: false", "description: Find things").replace(
        ", showcase: false", ""
    )
    assert apply_text(changed).lines() == [
        "~ update status page component Shop/Search: description",
        "~ update status page component Status API: showcase",
        "= 4 unchanged",
    ]
    page = by_name(session)
    assert (page["Search"].description, page["Status API"].showcase) == ("Find things", True)
    dropped = changed.replace("description: Cart and payment, ", "")
    assert apply_text(dropped).lines() == [
        "~ update status page component Shop/Checkout: description",
        "= 5 unchanged",
    ]
    assert by_name(session)["Checkout"].description == ""


def test_moving_a_component_to_another_group_is_an_update(apply_text: ApplyText, session: Session):
    apply_text(DOCUMENT)
    search_id = by_name(session)["Search"].id
    moved = DOCUMENT.replace(
        "        - {name: Search, services: [search], only_show_if_degraded: false}\n", ""
    ) + ("    - name: Discovery\n      components:\n        - {name: Search, services: [search]}\n")
    assert apply_text(moved).lines() == [
        "+ create status page group Discovery",
        "~ update status page component Discovery/Search: group, position",
        "= 5 unchanged",
    ]
    page = by_name(session)
    assert page["Search"].id == search_id
    assert page["Search"].group_id == page["Discovery"].id
    assert len(page) == 5
    out_of_groups = moved.replace(
        "    - {name: Status API,",
        "    - {name: Search, services: [search]}\n    - {name: Status API,",
    ).replace("components:\n        - {name: Search, services: [search]}\n", "components: []\n")
    assert apply_text(out_of_groups).lines() == [
        "~ update status page component Search: group, position",
        "~ update status page component Status API: position",
        "~ update status page group Discovery: position",
        "= 4 unchanged",
    ]
    assert by_name(session)["Search"].group_id is None


def test_apply_never_changes_a_status(apply_text: ApplyText, session: Session, change: Change):
    apply_text(DOCUMENT)
    checkout = by_name(session)["Checkout"]
    components.set_status(session, change=change, component=checkout, status="major_outage")
    session.commit()
    assert apply_text(DOCUMENT).lines() == ["= 6 unchanged"]
    apply_text(DOCUMENT.replace("Cart and payment", "Cart"))
    assert by_name(session)["Checkout"].status == "major_outage"
    assert "major_outage" not in export(session)


def test_dry_run_writes_nothing(apply_text: ApplyText, session: Session, engine: Engine):
    before = snapshot(engine)
    assert apply_text(DOCUMENT, dry_run=True).lines() == CREATED
    assert snapshot(engine) == before
    apply_text(DOCUMENT)
    before = snapshot(engine)
    plan = apply_text(DOCUMENT.replace("The API", "Public API"), dry_run=True)
    assert plan.lines() == [
        "~ update status page component Status API: description",
        "= 5 unchanged",
    ]
    assert snapshot(engine) == before


def test_services_created_by_the_same_file_or_existing_ones_are_accepted(apply_text: ApplyText):
    apply_text(SERVICES)
    assert apply_text(PAGE).lines()[-1] == "= 0 unchanged"


BAD = [
    pytest.param(
        DOCUMENT.replace("services: [search]", "services: [search, ghost]"),
        "status_page.components[0].components[1].services[1]",
        "ghost",
        "no service called 'ghost'",
        id="unknown-service",
    ),
    pytest.param(
        DOCUMENT.replace("{name: Search,", "{name: Checkout,"),
        "status_page.components[0].components[1].name",
        "Checkout, services: [search]",
        "the same status page component is already given at status_page.components[0]"
        ".components[0]",
        id="duplicate-in-group",
    ),
    pytest.param(
        DOCUMENT.replace("{name: Status API,", "{name: Shop,"),
        "status_page.components[1].name",
        "Shop, description: The API",
        "already given at status_page.components[0]",
        id="duplicate-top-level",
    ),
    pytest.param(
        DOCUMENT.replace(
            "{name: Search, services: [search], only_show_if_degraded: false}",
            "{name: Search, components: [{name: Deep}]}",
        ),
        "status_page.components[0].components[1].components",
        "[{name: Deep}]",
        "a group cannot be inside another group",
        id="group-in-group",
    ),
    pytest.param(
        DOCUMENT.replace("{name: Status API,", "{name: Status API, status: major_outage,"),
        "status_page.components[1].status",
        "status:",
        "unknown field; use name, description, services",
        id="unknown-field-status",
    ),
    pytest.param(
        DOCUMENT.replace(
            "status_page:\n  components:", "status_page:\n  groups: []\n  components:"
        ),
        "status_page.groups",
        "groups",
        "unknown field; use components",
        id="unknown-section-field",
    ),
    pytest.param(
        DOCUMENT.replace("position: 1}", "position: first}"),
        "status_page.components[0].components[0].position",
        "first",
        "expected a whole number, got 'first'",
        id="wrong-type-position",
    ),
    pytest.param(
        DOCUMENT.replace("position: 1}", "position: 99999999999}"),
        "status_page.components[0].components[0].position",
        "99999999999",
        "use a whole number from -2147483648 to 2147483647",
        id="position-out-of-range",
    ),
    pytest.param(
        DOCUMENT.replace("services: [checkout-api]", "services: checkout-api"),
        "status_page.components[0].components[0].services",
        "checkout-api, position",
        "expected a list",
        id="wrong-type-services",
    ),
    pytest.param(
        DOCUMENT.replace("showcase: false", "showcase: sometimes"),
        "status_page.components[1].showcase",
        "sometimes",
        "expected true or false",
        id="wrong-type-flag",
    ),
    pytest.param(
        SERVICES + "status_page:\n  components: Shop\n",
        "status_page.components",
        "Shop",
        "expected a list",
        id="wrong-type-components",
    ),
    pytest.param(
        DOCUMENT.replace("- name: Shop\n", "- name: Shop\n      services: [search]\n"),
        "status_page.components[0].services",
        "[search]\n",
        "a group has no services",
        id="group-with-services",
    ),
    pytest.param(
        DOCUMENT.replace("showcase: false}", "showcase: false, start_date: soon}"),
        "status_page.components[1].start_date",
        "soon",
        "'soon' is not a date",
        id="bad-start-date",
    ),
    pytest.param(
        DOCUMENT.replace("{name: Status API,", "{name: '',"),
        "status_page.components[1].name",
        "'', description",
        "use 1-200 characters",
        id="empty-name",
    ),
]


@pytest.mark.parametrize(("document", "field", "needle", "words"), BAD)
def test_bad_input_names_position_and_field_and_writes_nothing(
    apply_text: ApplyText, engine: Engine, document: str, field: str, needle: str, words: str
):
    apply_text(SERVICES + "  - {name: payments}\n")
    before = snapshot(engine)
    for dry_run in (True, False):
        with pytest.raises(DocumentInvalid) as raised:
            apply_text(document, dry_run=dry_run)
        error = raised.value.placed[0]
        assert (error.field, words in error.message) == (field, True), error.message
        assert f"{error.line}:{error.column}" == position(document, needle)
        assert snapshot(engine) == before


def test_a_group_and_a_component_cannot_swap_kinds(apply_text: ApplyText, engine: Engine):
    apply_text(DOCUMENT)
    before = snapshot(engine)
    document = DOCUMENT.replace(
        "{name: Status API, description: The API, follow_incidents: false, showcase: false}",
        "{name: Status API, components: []}",
    )
    with pytest.raises(DocumentInvalid) as raised:
        apply_text(document)
    assert raised.value.placed[0].field == "status_page.components[1].name"
    assert raised.value.placed[0].message == (
        "'Status API' is a component and cannot become a group"
    )
    assert snapshot(engine) == before


def test_export_round_trips_and_omits_an_empty_page(
    apply_text: ApplyText, session: Session, change: Change
):
    assert "status_page" not in export(session)
    apply_text(DOCUMENT)
    shop = by_name(session)["Shop"]
    components.create_component(
        session, change=change, name="Payments", group=shop.public_id, start_date=None
    )
    components.create_component(session, change=change, name="Empty", is_group=True)
    session.commit()
    exported = export(session)
    assert "status_page:\n  components:\n  - name: Shop\n" in exported
    assert "status:" not in exported.split("\nstatus_page:\n")[1]
    assert "    - name: Payments\n  - name: Status API\n" in exported  # third in Shop
    assert "  - name: Empty\n    position: 4\n    components: []\n" in exported
    plan = apply_text(exported, dry_run=True)
    assert plan.lines() == [f"= {len(plan.items)} unchanged"]
    assert apply_text(exported).lines() == plan.lines()


def test_api_applies_the_section(client: TestClient, admin: dict[str, str], engine: Engine):
    headers = {**admin, "Content-Type": "application/yaml"}
    done = client.post("/api/v1/config/apply", content=DOCUMENT, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["items"][3] == {
        "action": "create",
        "kind": "status page component",
        "name": "Shop/Checkout",
        "fields": [],
    }
    listed = client.get("/api/v1/status-page/components", headers=admin)
    assert listed.status_code == 200, listed.text
    names = [c["name"] for c in listed.json()["items"]]
    assert sorted(names) == ["Checkout", "Search", "Shop", "Status API"]
    before = snapshot(engine)
    bad = DOCUMENT.replace("services: [search]", "services: [ghost]")
    refused = client.post("/api/v1/config/apply", content=bad, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == (
        "status_page.components[0].components[1].services[0]"
    )
    assert snapshot(engine) == before


def test_cli_dry_run_prints_the_plan(
    database_url: str,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
):
    monkeypatch.setenv("WARROOM_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    file = tmp_path / "page.yaml"
    file.write_text(DOCUMENT)
    before = snapshot(engine)
    with pytest.raises(SystemExit) as exited:
        main(["apply", str(file), "--dry-run"])
    captured = capsys.readouterr()
    assert (exited.value.code or 0, captured.err) == (0, "")
    assert captured.out.splitlines() == [*CREATED, "dry run: nothing was written"]
    assert snapshot(engine) == before
