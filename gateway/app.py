"""The gateway: the only public door. Accounts and tokens, routing to services, the web pages."""
from __future__ import annotations

from pasar import auth, config
from pasar.web import create_service_app

from . import protection, web
from .api import blp as auth_blp
from .fanout import services_pool
from .models import Base
from .revocation import DatabaseDenylist
from .openapi import bp as openapi_bp
from .operator_api import accounts_blp
from .places_api import addresses_blp, regions_blp
from .queues_api import queues_blp
from .routes import bp as proxy_bp, upstream
from .web import pages


def _service_health(service: str) -> tuple[str, dict]:
    try:
        resp = upstream().get(config.service_url(service) + "/healthz", timeout=(1, 3))
        body = resp.json()
        return service, {"ok": resp.status_code == 200, "status": body.get("status"), "checks": body.get("checks")}
    except Exception as exc:
        return service, {"ok": False, "error": type(exc).__name__}


def services_health() -> dict:
    return dict(services_pool().map(_service_health, config.SERVICES))


def create_app(db=None):
    app = create_service_app("gateway", Base.metadata, [auth_blp, regions_blp, addresses_blp, accounts_blp,
                                                          queues_blp], title="Pasar Desa API", db=db, text_guard=False,
                             extra_health_checks=services_health)  # the door reports every room behind it
    if not config.setting("REDIS_URL"):  # no shared denylist: the gateway keeps revocations in its database
        auth.use_denylist(DatabaseDenylist(app.extensions["pasar"].db))
    # rate limits, body size limits, CORS, security headers; a person at a form who hits a limit gets a page
    protection.install(app, too_many_page=pages.too_many_attempts_page)
    app.register_blueprint(openapi_bp)
    app.register_blueprint(proxy_bp)
    app.register_blueprint(web.bp)  # server-rendered web pages: pages.py's hooks + web.PAGE_MODULES' routes
    return app
