"""Which scopes a key's scopes grant: admin everything, audit every read and no write."""

from __future__ import annotations

import pytest

from domain.api_keys import ADMIN, AUDIT, READ, SCOPES, SUPPORT, WRITE, grants

pytestmark = pytest.mark.unit


def test_an_audit_key_may_read_what_any_scope_guards() -> None:
    assert all(grants([AUDIT], required, reading=True) for required in SCOPES)


def test_an_audit_key_may_change_nothing() -> None:
    assert not any(
        grants([AUDIT], required, reading=False) for required in SCOPES if required != AUDIT
    )


def test_admin_still_grants_every_scope_on_writes_and_a_read_key_only_reads() -> None:
    assert all(grants([ADMIN], required) for required in SCOPES)
    assert grants([READ], READ, reading=True)
    assert not grants([READ], SUPPORT, reading=True)
    assert not grants([READ], WRITE)
