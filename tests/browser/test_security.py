"""The Content-Security-Policy holds in a real browser, and the browser tests would notice a violation."""

from __future__ import annotations

from tests.conftest import make_user


def test_an_inline_script_is_blocked_and_reported(person):
    someone = person(make_user("sfo-team"))
    someone.visit("/tasks")
    ran = someone.page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'window.inlineRan = true';
        document.body.appendChild(script);
        return new Promise(resolve => setTimeout(() => resolve(window.inlineRan === true), 200));
    }""")
    assert ran is False
    assert any("CSP violation: script-src" in problem for problem in someone.problems), someone.problems
    someone.problems.clear()


def test_an_inline_style_is_blocked_and_reported(person):
    someone = person(make_user("sfo-team"))
    someone.visit("/tasks")
    colour = someone.page.evaluate("""() => {
        const box = document.createElement('div');
        box.innerHTML = '<p id="styled" style="color: rgb(255, 0, 0)">x</p>';
        document.body.appendChild(box);
        return new Promise(resolve => setTimeout(
            () => resolve(getComputedStyle(document.getElementById('styled')).color), 200));
    }""")
    assert colour != "rgb(255, 0, 0)"
    assert any("CSP violation: style-src" in problem for problem in someone.problems), someone.problems
    someone.problems.clear()


def test_the_page_cannot_be_framed(person, live_server):
    someone = person(make_user("sfo-team"))
    response = someone.page.goto("/tasks")
    assert response is not None
    headers = response.all_headers()
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
