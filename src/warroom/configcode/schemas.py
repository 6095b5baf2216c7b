"""API shapes of a config plan."""

from __future__ import annotations

from pydantic import BaseModel, Field

from warroom.configcode.apply import Plan


class PlanItemOut(BaseModel):
    """What applying does to one object: create, update (with the changed fields) or nothing."""

    action: str
    kind: str
    name: str
    fields: list[str]


class PlanOut(BaseModel):
    """Every object in the document and what applying it did (or, in a dry run, would do)."""

    dry_run: bool
    created: int
    updated: int
    unchanged: int
    items: list[PlanItemOut]
    generated_keys: dict[str, str] = Field(
        default_factory=dict,
        description="integration name -> key, for integrations created without a key (shown once)",
    )


def plan_view(plan: Plan) -> PlanOut:
    """The API view of a plan."""
    return PlanOut(
        dry_run=plan.dry_run,
        created=plan.count("create"),
        updated=plan.count("update"),
        unchanged=plan.count("unchanged"),
        items=[
            PlanItemOut(action=i.action, kind=i.kind, name=i.name, fields=i.fields)
            for i in plan.items
        ],
        generated_keys=dict(plan.generated_keys),
    )
