"""What a person does in the browser: visit pages, fill forms, and on every main page a screenshot and an
axe-core check (no serious or critical violations)."""
from __future__ import annotations

import re
from pathlib import Path

BLOCKING = ("serious", "critical")


class Person:
    def __init__(self, who: str, context, axe: str, shots: Path):
        self.who = who
        self.context = context
        self.page = context.new_page()
        self.axe = axe
        self.shots = shots
        self.checked: list[str] = []

    def goto(self, path: str):
        response = self.page.goto(path)
        assert response is not None and response.status < 500, f"{path}: {response and response.status}"
        return response

    def check(self, name: str) -> None:
        """Screenshot the page as `name` and assert axe-core finds nothing serious or critical on it."""
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)
        if not self.context_js():
            return
        self.page.add_script_tag(content=self.axe)
        result = self.page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
               for v in result["violations"] if v.get("impact") in BLOCKING]
        assert not bad, f"accessibility problems on {name}:\n" + "\n".join(bad)
        self.checked.append(name)

    def context_js(self) -> bool:
        try:
            return bool(self.page.evaluate("() => true"))
        except Exception:
            return False

    def register(self, name: str, contact: str, role: str, district: str, password: str = "rahasia-desa-1"):
        self.goto("/daftar")
        self.page.get_by_label("Nama", exact=True).fill(name)
        self.page.get_by_label("Nomor HP atau email").fill(contact)
        self.page.get_by_label("Kata sandi (minimal 8 huruf)").fill(password)
        self.page.get_by_label("Kecamatan").fill(district)
        self.page.locator(f"#role-{role}").check()
        self.page.get_by_role("button", name="Daftar", exact=True).click()
        self.page.wait_for_load_state()
        assert "/daftar" not in self.page.url, self.notices()

    def notices(self) -> str:
        return " | ".join(self.page.locator(".notice, .warn, .error").all_inner_texts())

    def text(self) -> str:
        return self.page.locator("main").inner_text()


def rupiah_number(text: str) -> int:
    return int(re.sub(r"[^0-9]", "", text))
