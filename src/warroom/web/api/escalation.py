"""Escalation policies, an incident's escalation and its notifications, and manual escalation."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from warroom.escalation import policies, runner
from warroom.escalation.schemas import (
    EscalatedOut,
    EscalationOut,
    PolicyCreate,
    PolicyList,
    PolicyOut,
    PolicyReplace,
    ReassignIn,
    escalation_view,
    policy_view,
)
from warroom.incidents.service import get
from warroom.notifications import service as outbox
from warroom.notifications.schemas import NotificationList, notification_view
from warroom.web.deps import Admin, Responder, SessionDep, Viewer, change_for
from warroom.web.routing import JSONRoute

router = APIRouter(prefix="/api/v1", route_class=JSONRoute, tags=["escalation"])


@router.get("/escalation-policies")
def list_policies(session: SessionDep, actor: Viewer) -> PolicyList:
    """All escalation policies by name."""
    return PolicyList(
        items=[
            policy_view(p, policies.services_using(session, p))
            for p in policies.list_policies(session)
        ]
    )


@router.post("/escalation-policies", status_code=status.HTTP_201_CREATED)
def create_policy(
    body: PolicyCreate, request: Request, response: Response, session: SessionDep, actor: Admin
) -> PolicyOut:
    """Add an escalation policy (admin)."""
    policy = policies.create_policy(
        session,
        change=change_for(request, actor),
        name=body.name,
        description=body.description,
        repeat=body.repeat,
        steps=[step.spec() for step in body.steps],
    )
    session.commit()
    response.headers["Location"] = f"/api/v1/escalation-policies/{policy.name}"
    return policy_view(policy, [])


@router.get("/escalation-policies/{name}")
def get_policy(name: str, session: SessionDep, actor: Viewer) -> PolicyOut:
    """One escalation policy."""
    policy = policies.get_policy(session, name)
    return policy_view(policy, policies.services_using(session, policy))


@router.put("/escalation-policies/{name}")
def replace_policy(
    name: str, body: PolicyReplace, request: Request, session: SessionDep, actor: Admin
) -> PolicyOut:
    """Replace a policy's steps; running escalations keep the copy they started with (admin)."""
    policy = policies.replace_policy(
        session,
        change=change_for(request, actor),
        policy=policies.get_policy(session, name),
        description=body.description,
        repeat=body.repeat,
        steps=[step.spec() for step in body.steps],
    )
    session.commit()
    return policy_view(policy, policies.services_using(session, policy))


@router.delete(
    "/escalation-policies/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "a service uses the policy"}},
)
def delete_policy(name: str, request: Request, session: SessionDep, actor: Admin) -> Response:
    """Remove a policy that no service uses (admin)."""
    policy = policies.get_policy(session, name)
    policies.delete_policy(session, change=change_for(request, actor), policy=policy)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/incidents/{ref}/escalation")
def get_escalation(ref: str, session: SessionDep, actor: Viewer) -> EscalationOut:
    """The incident's escalation: its policy as snapshotted, state and next step."""
    incident = get(session, ref)
    return escalation_view(runner.get_escalation(session, incident=incident))


@router.post(
    "/incidents/{ref}/escalate",
    responses={409: {"description": "no active escalation, or the incident is acknowledged"}},
)
def escalate(ref: str, request: Request, session: SessionDep, actor: Responder) -> EscalatedOut:
    """Page the next step now, in this request; the steps after it follow from now."""
    incident = get(session, ref)
    escalation, paged = runner.escalate_now(
        session, change=change_for(request, actor), incident=incident
    )
    session.commit()
    return EscalatedOut(paged=[u.handle for u in paged], escalation=escalation_view(escalation))


@router.post(
    "/incidents/{ref}/reassign",
    responses={409: {"description": "the incident is resolved or closed"}},
)
def reassign(
    ref: str, body: ReassignIn, request: Request, session: SessionDep, actor: Responder
) -> EscalationOut:
    """Hand the incident to a user or a policy: it is triggered again and they are paged now."""
    escalation = runner.reassign(
        session,
        change=change_for(request, actor),
        incident=get(session, ref),
        user_handle=body.user,
        policy_name=body.escalation_policy,
    )
    session.commit()
    return escalation_view(escalation)


@router.get("/incidents/{ref}/notifications")
def list_notifications(ref: str, session: SessionDep, actor: Viewer) -> NotificationList:
    """The pages written for the incident, oldest first."""
    incident = get(session, ref)
    rows = outbox.for_incident(session, incident=incident)
    return NotificationList(items=[notification_view(n) for n in rows])
