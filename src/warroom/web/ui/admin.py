"""Admin pages: users, escalation policies and schedules, for admins only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from warroom.web.ui import admin_policies, admin_schedules, admin_users
from warroom.web.ui.auth import AdminDep
from warroom.web.ui.render import page

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, who: AdminDep) -> HTMLResponse:
    """Links to what an admin configures here."""
    return page(request, "admin/index.html.j2")


for section in (admin_users, admin_policies, admin_schedules):
    router.include_router(section.router)
