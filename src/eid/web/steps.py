"""The steps between login and a portal's answer: level check, enterprise choice, consent.

``/continue?flow=ID`` decides what comes next; each step's form posts back here
until the flow's protocol finisher (OIDC or SAML) answers the portal. ``/cancel``
ends a flow at the person's request (from the login page or a login error page).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from eid.errors import AssuranceLevelTooLow, MandateNotHeld
from eid.sso import require_level
from eid.sso.levels import LEVELS

from .csrf import check_csrf
from .flows import Flow, cancel_reason
from .i18n import translator
from .pages import language_of, render
from .service import Service, service_of
from .sessions import Session

__all__ = ["advance", "routes", "silent_obstacle"]


def _shown_values(service: Service, person: dict[str, Any], flow: Flow) -> dict[str, str | None]:
    """What the consent page shows for the attributes it can show (others: a check mark)."""
    chosen = next(
        (m for m in service.mandates(person) if flow.enterprise and m[0] == flow.enterprise),
        None,
    )
    return {
        "given_name": person.get("given_names"),
        "family_name": person.get("surname"),
        "national_number": person.get("national_number"),
        "legal_person_identifier": chosen[0] if chosen else None,
        "legal_name": chosen[1] if chosen else None,
        "mandate_role": chosen[2] if chosen else None,
    }


def _login_too_old(person: dict[str, Any], flow: Flow) -> bool:
    """Whether the person logged in before the flow's ``login_after`` (prompt=login, max_age)."""
    return flow.login_after is not None and float(person["auth_time"]) < flow.login_after


def silent_obstacle(service: Service, session: Session, flow: Flow) -> tuple[str, str] | None:
    """Why ``flow`` cannot be answered without showing a page (OIDC error, reason), or None."""
    person = session.person
    if person is None:
        return "login_required", "no one is logged in"
    if _login_too_old(person, flow):
        return "login_required", "the login is older than the portal accepts"
    if flow.min_level and LEVELS.index(person["level"]) < LEVELS.index(flow.min_level):
        return "login_required", "the session's level of assurance is too low"
    if flow.mandates and service.mandates(person):
        return "interaction_required", "the person must choose whom they act for"
    if flow.portal not in session.portals:
        return "consent_required", "the person has not agreed to share data with this portal"
    return None


async def advance(request: Request, service: Service, session: Session, flow: Flow) -> Response:
    """The next step of ``flow`` for this session."""
    person = session.person
    if person is None or _login_too_old(person, flow):
        return RedirectResponse(f"/login?flow={flow.id}", status_code=303)
    try:
        require_level(person["level"], flow.min_level)
    except AssuranceLevelTooLow as too_low:
        if flow.protocol != "saml":
            flow.failed_login = too_low.code
            await service.flows.save(flow)
            raise
        # A SAML portal hears it as a NoAuthnContext status rather than the person an error page.
        return await service.finishers[flow.protocol](request, service, session, flow, too_low.code)
    if flow.mandates and not flow.enterprise_chosen:
        mandates = service.mandates(person)
        if mandates:
            return render(
                request,
                "enterprise.html",
                title="enterprise_title",
                session=session,
                flow=flow.id,
                portal_name=flow.portal_name,
                mandates=mandates,
            )
    if not flow.consented and (flow.ask_consent or flow.portal not in session.portals):
        t = translator(language_of(request))
        shown = _shown_values(service, person, flow)
        return render(
            request,
            "consent.html",
            title="consent_title",
            session=session,
            flow=flow.id,
            portal_name=flow.portal_name,
            level=person.get("level"),
            attributes=[(t("attr_" + a), shown.get(a) or "✓") for a in flow.attributes],
        )
    return await service.finishers[flow.protocol](request, service, session, flow, None)


async def continue_flow(request: Request) -> Response:
    """Show the flow's next step."""
    service = service_of(request)
    flow_id = request.query_params.get("flow")
    request.state.flow_id = flow_id
    session = await service.sessions.load(request)
    return await advance(request, service, session, await service.flows.load(flow_id))


async def _posted(request: Request) -> tuple[Service, Session, Flow, dict[str, str]]:
    service = service_of(request)
    session = await service.sessions.load(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    request.state.flow_id = form.get("flow")
    check_csrf(session, form)
    return service, session, await service.flows.load(form.get("flow")), form


async def consent(request: Request) -> Response:
    """The person's answer on the consent page: share, or send the portal a refusal."""
    service, session, flow, form = await _posted(request)
    if session.person is None:
        return RedirectResponse(f"/login?flow={flow.id}", status_code=303)
    if form.get("decision") != "accept":
        return await service.finishers[flow.protocol](
            request, service, session, flow, "access_denied"
        )
    flow.consented = True
    await service.flows.save(flow)
    return await advance(request, service, session, flow)


async def enterprise(request: Request) -> Response:
    """The enterprise the person acts for (empty: for themselves); only one they hold a mandate of."""
    service, session, flow, form = await _posted(request)
    if session.person is None:
        return RedirectResponse(f"/login?flow={flow.id}", status_code=303)
    chosen = form.get("enterprise") or None
    held = {number for number, _name, _role in service.mandates(session.person)}
    if chosen is not None and chosen not in held:
        raise MandateNotHeld("the person holds no mandate for this enterprise")
    flow.enterprise = chosen
    flow.enterprise_chosen = True
    await service.flows.save(flow)
    return await advance(request, service, session, flow)


async def cancel(request: Request) -> Response:
    """Cancel and return to the portal: end the flow with a refusal the portal understands.

    After a failed login attempt in the flow the portal hears that the login failed
    (SAML ``AuthnFailed``), otherwise that the person declined (SAML ``RequestDenied``);
    an OIDC client gets ``access_denied`` either way, with the reason in its description.
    """
    service, session, flow, _form = await _posted(request)
    return await service.finishers[flow.protocol](
        request, service, session, flow, cancel_reason(flow)
    )


routes = [
    Route("/continue", continue_flow, methods=["GET"]),
    Route("/consent", consent, methods=["POST"]),
    Route("/enterprise", enterprise, methods=["POST"]),
    Route("/cancel", cancel, methods=["POST"]),
]
