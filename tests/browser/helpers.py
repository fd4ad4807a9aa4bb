"""What a person does in the browser: visit pages, fill forms, and on every main page a screenshot and an
axe-core check (no serious or critical violations)."""
from __future__ import annotations

import re
from pathlib import Path

BLOCKING = ("serious", "critical")

# Big touch targets for old hands on cheap phones: every control at least 44 px high (buttons, fields, the labels of
# radio buttons and check boxes, menu links, button-like links), and every other link at least 24 px (WCAG 2.2).
SMALL_TARGETS = """() => {
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 &&
                        getComputedStyle(el).visibility !== 'hidden' && !el.closest('.vh, .skip'); };
  const small = [];
  const check = (selector, least) => document.querySelectorAll(selector).forEach(el => {
    const r = el.getBoundingClientRect();
    if (shown(el) && Math.round(r.height) < least) small.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.name || el.id || '').trim().slice(0, 40)}" ${Math.round(r.height)}px`);
  });
  check('main button, main select, main textarea, main summary, main a.button, nav.main a, nav.main button, ' +
        'main input:not([type=hidden]):not([type=radio]):not([type=checkbox]), main label.choice', 44);
  check('main a:not(.button)', 24);
  return small;
}"""


class Person:
    def __init__(self, who: str, context, axe: str, shots: Path, var: Path | None = None):
        self.who = who
        self.var = var  # the stack's var/ directory: where WhatsApp messages land in development
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
        result = self.page.evaluate("() => axe.run(document, {resultTypes: ['violations', 'incomplete']})")
        bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
               for v in result["violations"] if v.get("impact") in BLOCKING]
        # axe files text drawn in its own background colour (1:1, unreadable) as "incomplete", not as a violation
        bad += [f"invisible text (1:1 contrast): {n['target']}" for v in result["incomplete"] if v["id"] == "color-contrast"
                for n in v["nodes"] if any((c.get("data") or {}).get("messageKey") == "equalRatio" for c in n["any"])]
        bad += [f"small touch target: {t}" for t in self.page.evaluate(SMALL_TARGETS)]
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
        if role in ("seller", "agent", "courier") and "@" not in contact:
            self.prove_phone("+62" + contact.lstrip("+").removeprefix("62").removeprefix("0"))

    def prove_phone(self, e164: str) -> None:
        """Selling and deliveries need a proven phone (issue 18): type the sign-up code from WhatsApp on
        /verifikasi-hp, where sign-up leads; the page then goes on to where the person was going."""
        from tests.support.phones import VERIFY_WORDS, whatsapp_code
        assert "/verifikasi-hp" in self.page.url, self.page.url
        self.page.get_by_label("Kode 6 angka").fill(whatsapp_code(self, e164, VERIFY_WORDS))
        self.page.get_by_role("button", name="Verifikasi", exact=True).click()
        self.page.wait_for_load_state()
        assert "/verifikasi-hp" not in self.page.url, self.notices()

    def notices(self) -> str:
        return " | ".join(self.page.locator(".notice, .warn, .error").all_inner_texts())

    def text(self) -> str:
        return self.page.locator("main").inner_text()


def rupiah_number(text: str) -> int:
    return int(re.sub(r"[^0-9]", "", text))
