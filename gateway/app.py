"""The gateway: the only public door. Accounts and tokens, routing to services, the web pages."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pasar import config
from pasar.web import create_service_app

from .models import Base
from .routes import bp as proxy_bp, upstream

_pool = ThreadPoolExecutor(max_workers=len(config.SERVICES))


def _service_health(service: str) -> tuple[str, dict]:
    try:
        resp = upstream().get(config.service_url(service) + "/healthz", timeout=(1, 3))
        body = resp.json()
        return service, {"ok": resp.status_code == 200, "status": body.get("status"), "checks": body.get("checks")}
    except Exception as exc:
        return service, {"ok": False, "error": type(exc).__name__}


def services_health() -> dict:
    return dict(_pool.map(_service_health, config.SERVICES))


def create_app(db=None):
    app = create_service_app("gateway", Base.metadata, [], title="Pasar Desa API", db=db,
                             extra_config={"MAX_CONTENT_LENGTH": 512 * 1024},
                             extra_health_checks=services_health)  # the door reports every room behind it
    app.register_blueprint(proxy_bp)
    return app
