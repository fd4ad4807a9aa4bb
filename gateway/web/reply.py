"""A service's answer as a page sees it (the services' HTTP replies and the in-process accounts alike)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Reply:
    """A service's answer as a page sees it: status 0 means the service could not be reached."""
    status: int
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def unavailable(self) -> bool:
        return self.status == 0 or self.status >= 500

    @property
    def message(self) -> str:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"].get("message") or ""
        return ""

    @property
    def code(self) -> str:
        """The error's code ("validation_error", "payment_final", ...): what the pages translate by."""
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"].get("code") or ""
        return ""

    @property
    def fields(self) -> dict:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"].get("fields") or {}
        return {}

    def items(self) -> list:
        """A list body, or the list inside a paged body ({"items": [...]} and friends)."""
        if isinstance(self.body, list):
            return self.body
        if isinstance(self.body, dict):
            for key in ("items", "results", "data", "products", "shops", "orders", "deliveries",
                        "fulfillments", "notifications", "payouts", "categories"):
                if isinstance(self.body.get(key), list):
                    return self.body[key]
        return []
