"""The stakeholder matrix: who is informed about incidents of which severity, and when."""

from __future__ import annotations

from fastapi import APIRouter, Request

from warroom.escalation import stakeholders
from warroom.escalation.schemas import MatrixIn, MatrixOut, matrix_view
from warroom.web.deps import Admin, SchemeDep, SessionDep, Viewer, change_for
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1", route_class=JSONRoute, tags=["escalation"])


@router.get("/stakeholders")
def get_matrix(session: SessionDep, actor: Viewer) -> MatrixOut:
    """The stakeholder matrix."""
    return matrix_view(stakeholders.list_rules(session))


@router.put("/stakeholders")
def replace_matrix(
    body: MatrixIn, request: Request, session: SessionDep, scheme: SchemeDep, actor: Admin
) -> MatrixOut:
    """Replace the whole matrix; nobody already informed about an incident is told again (admin)."""
    rules = stakeholders.replace_matrix(
        session,
        change=change_for(request, actor),
        scheme=scheme,
        rules=[rule.spec() for rule in body.rules],
    )
    session.commit()
    return matrix_view(rules)
