"""Driving the JSON API from tests as another system would: a token per user, JSON in and out.

    api = ApiClient(client)
    case = api.start("small", "SFO-1", {"provider_org": "north-probation"}, as_user=provider)
    case.complete("triage", {"eligible": True}, as_user=team)  # exact answers
    # or: case.do("triage", as_user=team, eligible=True)       # valid sample answers, some pinned
    api.message("court-outcome", "SFO-1", {"court_outcome": "acquitted", "outcome_date": "2027-02-26"}, as_user=team)
    assert case.refresh(as_user=team)["status"] == "completed"

Every call checks the status it expects (``expect=``) and shows the response body when it differs.
"""

from __future__ import annotations

from typing import Any

from app.models import User
from app.services.runtime import now
from app.services.sample_data import sample_for
from app.services.users import create_token

API = "/api/v1"


class ApiClient:
    def __init__(self, client: Any):
        self.client = client
        self._tokens: dict[str, str] = {}

    def headers(self, user: User | None) -> dict[str, str]:
        if user is None:
            return {}
        if user.username not in self._tokens:
            self._tokens[user.username] = create_token(user.username)
        return {"Authorization": f"Bearer {self._tokens[user.username]}"}

    def forget_tokens(self) -> None:
        """Make each user a new token on next use: those made before the clock moved on may have expired."""
        self._tokens.clear()

    def call(self, method: str, path: str, user: User | None, *, expect: int | None = None, **options: Any) -> Any:
        """The raw response of ``method API+path`` as ``user``; asserts the status when ``expect`` is given."""
        headers = {**self.headers(user), **options.pop("headers", {})}
        response = self.client.open(API + path, method=method, headers=headers, **options)
        if expect is not None:
            assert response.status_code == expect, (
                f"{method} {path}: {response.status_code} {response.get_data(as_text=True)}"
            )
        return response

    def get(self, path: str, user: User | None, *, expect: int = 200, **query: Any) -> Any:
        return self.call("GET", path, user, expect=expect, query_string=query).get_json()

    def post(self, path: str, user: User | None, body: Any = None, *, expect: int = 200) -> Any:
        return self.call("POST", path, user, expect=expect, json=body).get_json()

    def put(self, path: str, user: User | None, body: Any = None, *, expect: int = 200) -> Any:
        return self.call("PUT", path, user, expect=expect, json=body).get_json()

    def upload(self, files: dict[str, bytes], user: User, *, expect: int = 201, **options: Any) -> Any:
        """Deploy files through the multipart endpoint."""
        from io import BytesIO

        parts = [(BytesIO(content), name) for name, content in files.items()]
        return self.call(
            "POST",
            "/process-definitions",
            user,
            expect=expect,
            data={"files": parts},
            content_type="multipart/form-data",
            **options,
        ).get_json()

    # --- cases ---

    def start(
        self,
        process_key: str,
        business_key: str | None,
        data: dict[str, Any] | None = None,
        *,
        as_user: User,
        expect: int = 201,
    ) -> Case:
        body = {"process_key": process_key, "business_key": business_key, "data": data or {}}
        detail = self.post("/process-instances", as_user, body, expect=expect)
        return Case(self, detail)

    def case(self, instance_id: int, *, as_user: User) -> Case:
        return Case(self, self.get(f"/process-instances/{instance_id}", as_user))

    def message(
        self, name: str, business_key: str, data: dict[str, Any] | None = None, *, as_user: User, expect: int = 200
    ) -> Any:
        return self.post(
            "/messages", as_user, {"name": name, "business_key": business_key, "data": data or {}}, expect=expect
        )

    def tasks(self, user: User, *, expect: int = 200, **filters: Any) -> list[dict[str, Any]]:
        return self.get("/tasks", user, expect=expect, **filters)["items"]  # type: ignore[no-any-return]


class Case:
    """One started case; ``detail`` is its latest representation from the API."""

    def __init__(self, api: ApiClient, detail: dict[str, Any]):
        self.api = api
        self.detail = detail
        self.id: int = detail["id"]
        self.business_key: str = detail["business_key"]

    def __getitem__(self, field: str) -> Any:
        return self.detail[field]

    def refresh(self, *, as_user: User) -> dict[str, Any]:
        self.detail = self.api.get(f"/process-instances/{self.id}", as_user)
        return self.detail

    def ready_tasks(self, *, as_user: User) -> list[dict[str, Any]]:
        return self.api.tasks(as_user, process_instance_id=self.id, state="ready", per_page=100)

    def task(self, task_bpmn_id: str, *, as_user: User, name_contains: str = "") -> dict[str, Any]:
        """The ready task of this case with that BPMN id that the user can see (named, for multi-instance)."""
        ready = self.ready_tasks(as_user=as_user)
        matches = [t for t in ready if t["bpmn_id"] == task_bpmn_id and name_contains in t["name"]]
        assert matches, f"no ready task {task_bpmn_id!r} for {as_user.username}; ready: {[t['bpmn_id'] for t in ready]}"
        return matches[0]

    def complete(
        self, task_bpmn_id: str, data: dict[str, Any], *, as_user: User, expect: int = 200, name_contains: str = ""
    ) -> Any:
        task = self.task(task_bpmn_id, as_user=as_user, name_contains=name_contains)
        answer = self.api.post(f"/tasks/{task['id']}/complete", as_user, {"data": data}, expect=expect)
        if expect == 200:
            self.detail = answer
        return answer

    def do(
        self, task_bpmn_id: str, *, as_user: User, expect: int = 200, name_contains: str = "", **answers: Any
    ) -> Any:
        """Complete the task with valid sample answers from its form (read through the API), ``answers`` pinned."""
        task = self.task(task_bpmn_id, as_user=as_user, name_contains=name_contains)
        form = self.api.get(f"/tasks/{task['id']}", as_user)["form"]
        data = sample_for(form["schema"] if form else {}, answers, now().date())
        answer = self.api.post(f"/tasks/{task['id']}/complete", as_user, {"data": data}, expect=expect)
        if expect == 200:
            self.detail = answer
        return answer

    def message(self, name: str, data: dict[str, Any] | None = None, *, as_user: User, expect: int = 200) -> Any:
        answer = self.api.message(name, self.business_key, data, as_user=as_user, expect=expect)
        if expect == 200:
            self.detail = answer
        return answer

    def events(self, *, as_user: User) -> list[dict[str, Any]]:
        return self.api.get(f"/process-instances/{self.id}/events", as_user)["items"]  # type: ignore[no-any-return]
