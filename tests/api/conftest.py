"""Fixtures for the API tests: an API client that manages tokens, and users made on first use."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import ApiClient


@pytest.fixture
def api(client: Any) -> ApiClient:
    return ApiClient(client)
