"""Checks every page of a browser journey must pass: axe (no violation of any impact), one h1,
every form field labelled, and a title that names one page only."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Form fields a person types into or chooses from; every one needs a label.
UNLABELLED_FIELDS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 200))
"""
# With JavaScript turned off in the browser context, Playwright's evaluate still runs, and promises
# settle, but timers never fire, and axe waits on setTimeout between its steps. Run short timers as
# microtasks there instead; the long ones (axe's waits for frames, and this page has none) never fire.
TIMERS_WITHOUT_SCRIPTS = """
() => {
  window.setTimeout = (callback, delay, ...args) => {
    if (!delay || delay < 1000) { Promise.resolve().then(() => callback(...args)); }
    return 0;
  };
  window.clearTimeout = () => {};
}
"""
RUN_AXE = """
async () => {
  const results = await window.axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}
"""


@dataclass
class Journey:
    """The pages one test visited: a title must always name the same page (the same h1)."""

    titles: dict[str, tuple[str, str]] = field(default_factory=dict)
    pages_checked: int = 0

    def record(self, title: str, h1: str, url: str) -> None:
        seen = self.titles.setdefault(title, (h1, url))
        assert seen[0] == h1, (
            f"the title {title!r} is used for two different pages: {seen[1]} (h1 {seen[0]!r}) and {url} (h1 {h1!r})"
        )
        self.pages_checked += 1


@functools.cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


# Pages axe has passed in this test process, by their DOM with the per-request tokens taken out (the form's
# CSRF token, the scripts' nonce), and whether scripts ran. The same DOM with the same style sheets gives the
# same result, so a page seen again (the sign-in page of every test, an inbox visited twice) is not checked
# again: a quarter of the browser tests' time went on axe, 596 runs of 0.22 s, 93 of them the sign-in page.
_PASSED_AXE: set[str] = set()
_TOKENS = re.compile(r'(name="csrf_token" value|nonce)="[^"]*"')


def _axe_key(page: Any, scripts_enabled: bool) -> str:
    dom = _TOKENS.sub(r'\1=""', page.content())
    return hashlib.sha256(f"{scripts_enabled}\n{dom}".encode()).hexdigest()


def check_page(page: Any, journey: Journey, *, scripts_enabled: bool = True) -> None:
    """Run every check on the page the browser shows now; fail with a readable list of problems."""
    url = re.sub(r"^https?://[^/]+", "", page.url)
    title = page.title().strip()
    assert title, f"{url}: the page has no <title>"
    h1s = page.locator("h1").all_inner_texts()
    assert len(h1s) == 1, f"{url}: {len(h1s)} h1 elements ({h1s}); a page needs exactly one"
    unlabelled = page.evaluate(UNLABELLED_FIELDS)
    assert not unlabelled, f"{url}: form fields without a label:\n  " + "\n  ".join(unlabelled)
    journey.record(title, " ".join(h1s[0].split()), url)
    key = _axe_key(page, scripts_enabled)
    if key in _PASSED_AXE:
        return
    if not page.evaluate("() => typeof window.axe === 'object'"):
        if not scripts_enabled:
            page.evaluate(TIMERS_WITHOUT_SCRIPTS)
        page.evaluate(_axe_source())
    violations = page.evaluate(RUN_AXE)
    assert not violations, f"{url} ({title}): axe found {len(violations)} problem(s):\n" + "\n".join(
        _describe(v) for v in violations
    )
    _PASSED_AXE.add(key)


def _describe(violation: dict[str, Any]) -> str:
    lines = [f"- {violation['id']} [{violation['impact']}] {violation['help']} ({violation['helpUrl']})"]
    for node in violation["nodes"][:5]:
        summary = " ".join(str(node["summary"] or "").split())
        lines.append(f"    at {node['target']}: {summary}")
    if len(violation["nodes"]) > 5:
        lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)
