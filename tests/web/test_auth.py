import pytest

from tests.conftest import make_user


def test_sign_in_page_has_the_fields_people_expect(browser):
    page = browser.get("/sign-in")
    assert "Username" in page.text and "Password" in page.text and "Sign in" in page.text
    assert page.title.startswith("Sign in")


def test_pages_need_sign_in(browser):
    response = browser.client.get("/tasks")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_sign_in_and_out(browser):
    user = make_user("sfo-team")
    browser.sign_in(user)
    page = browser.get("/tasks")
    assert user.username in page.text and "Sign out" in page.text
    browser.post("/sign-out", {})
    assert browser.client.get("/tasks").status_code == 302


def test_wrong_password_shows_an_error_summary_and_no_hint_which_part_was_wrong(browser):
    user = make_user("sfo-team")
    browser.get("/sign-in")
    page = browser.post("/sign-in", {"username": user.username, "password": "wrong password"}, expect=200)
    assert "There is a problem" in page.text and "The username or password is not right" in page.text
    assert page.title.startswith("Error: ")
    page = browser.post("/sign-in", {"username": "", "password": ""}, expect=200)
    assert "Enter your username" in page.text and "Enter your password" in page.text


def test_sign_in_is_throttled_after_repeated_failures(browser, app):
    user = make_user("sfo-team")
    browser.get("/sign-in")
    attempts = int(app.config["SFO_SIGN_IN_ACCOUNT_LIMIT"].split()[0])
    for _ in range(attempts):
        browser.post("/sign-in", {"username": user.username, "password": "wrong password"}, expect=200)
    response = browser.post("/sign-in", {"username": user.username, "password": "correct horse battery"}, expect=429)
    assert b"Too many" in response.get_data()


def test_forms_without_the_csrf_token_are_refused(browser):
    user = make_user("sfo-team")
    browser.sign_in(user)
    browser._fresh_request()
    response = browser.client.post("/sign-out", data={})
    assert response.status_code == 400
    assert browser.client.get("/tasks").status_code == 200  # still signed in


def test_next_never_leaves_the_service(browser):
    user = make_user("sfo-team")
    browser.get("/sign-in?next=//evil.example/")
    response = browser.client.post(
        "/sign-in?next=//evil.example/",
        data={"username": user.username, "password": "correct horse battery", "csrf_token": browser.token},
    )
    assert response.headers["Location"] == "/tasks"


def test_session_cookie_is_http_only(browser):
    user = make_user("sfo-team")
    browser.get("/sign-in")
    response = browser.client.post(
        "/sign-in", data={"username": user.username, "password": "correct horse battery", "csrf_token": browser.token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_error_pages_are_in_the_service_design(browser):
    page = browser.get("/no-such-page", expect=404)
    assert "Page not found" in page.text and "GOV.UK" not in page.title
    assert browser.get("/api/v1/nothing", expect=404).html.startswith("{")  # the API answers in JSON


def test_statements_are_public(browser):
    for url in ("/accessibility", "/cookies", "/privacy"):
        browser.get(url)


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0A/evil.example",
        "/%0D%0A/evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "https://evil.example/",
        "//evil.example",
        "/%20/evil.example",
        "javascript:alert(1)",
        "%2F%2Fevil.example",
    ],
)
def test_next_with_hostile_characters_never_leaves_the_service(browser, target):
    user = make_user("sfo-team")
    browser.get("/sign-in")
    response = browser.client.post(
        f"/sign-in?next={target}",
        data={"username": user.username, "password": "correct horse battery", "csrf_token": browser.token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/tasks"


def test_next_with_a_nul_is_refused_outright(browser):
    user = make_user("sfo-team")
    browser.get("/sign-in")
    response = browser.client.post(
        "/sign-in?next=/tasks%00",
        data={"username": user.username, "password": "correct horse battery", "csrf_token": browser.token},
    )
    assert response.status_code == 400 and "Location" not in response.headers


def test_next_keeps_a_path_of_the_service(browser):
    user = make_user("sfo-team")
    browser.get("/sign-in")
    response = browser.client.post(
        "/sign-in?next=/cases%3Freference%3DSFO-1",
        data={"username": user.username, "password": "correct horse battery", "csrf_token": browser.token},
    )
    assert response.headers["Location"] == "/cases?reference=SFO-1"
