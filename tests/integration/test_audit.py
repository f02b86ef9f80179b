"""Audit tooling on a real log: the hash chain verifies, any altered stored event or feed row is
named by position, read models are checked against the fold, exports chain line by line."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from application.context import CommandContext
from application.order_terms import OrderTerms
from domain.audit_chain import LATEST_CHAIN_VERSION
from domain.money import Amount
from interfaces.bootstrap import build_services, ensure_projections
from interfaces.cli.main import cli
from interfaces.services import Services
from projections.event_feed.audit_chain import GENESIS_HASH, canonical, chained, link
from projections.event_feed.catalogue.audit_chain import CHAIN_VERSIONED
from projections.event_feed.verification import Verifier
from tests.support.stack import process_environment, settings_for_tests

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(request_id="audit")


def populated(services: Services, users: int = 4) -> list[str]:
    ensure_projections(services)
    ids = []
    for n in range(users):
        created = services.use_cases.users.create_user(
            f"a-{uuid.uuid4().hex}", None, "BOTH", CONTEXT
        )
        user = created.user.user_id
        services.use_cases.balances.adjust(user, "credit", Amount(5_000 + n), "seed", CONTEXT)
        services.use_cases.balances.adjust(user, "debit", Amount(1_000), "fee", CONTEXT)
        ids.append(user)
    for store in services.resources.projections.values():
        store.catch_up()
    return ids


def feed_position(services: Services, type_name: str, nth: int = 0) -> int:
    with services.resources.pool.connection() as conn:
        rows = conn.execute(
            "SELECT position FROM rm_event_feed.events WHERE type = %s ORDER BY position",
            (type_name,),
        ).fetchall()
    return int(rows[nth]["position"])


def audit(services: Services, *args: str) -> Any:
    return CliRunner().invoke(cli, ["audit", *args], env=process_environment(services))


def test_verify_passes_on_a_populated_log_and_names_the_chain_head(
    fresh_services: Services,
) -> None:
    populated(fresh_services)
    verdict = Verifier(fresh_services.resources.ledger, fresh_services.resources.pool).verify()
    assert verdict.ok, verdict.breaks
    assert verdict.events > 0
    assert verdict.feed_position == verdict.head == fresh_services.resources.ledger.head_position()
    with fresh_services.resources.pool.connection() as conn:
        last = conn.execute(
            "SELECT hash FROM rm_event_feed.events ORDER BY position DESC LIMIT 1"
        ).fetchone()
    assert verdict.head_hash == last["hash"]
    result = audit(fresh_services, "verify")
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_altering_a_stored_event_makes_verify_fail_at_its_position(
    fresh_services: Services,
) -> None:
    populated(fresh_services)
    altered = feed_position(fresh_services, "balance.credited", nth=1)
    with fresh_services.resources.pool.connection() as conn:
        row = conn.execute(
            "SELECT state FROM ledger_events WHERE notification_id = %s", (altered,)
        ).fetchone()
        state = json.loads(bytes(row["state"]))
        state["note"] = "tampered"
        conn.execute(
            "UPDATE ledger_events SET state = %s WHERE notification_id = %s",
            (json.dumps(state).encode(), altered),
        )
    verdict = Verifier(fresh_services.resources.ledger, fresh_services.resources.pool).verify()
    assert [b.position for b in verdict.breaks] == [altered]
    result = audit(fresh_services, "verify")
    assert result.exit_code == 1
    assert f"BROKEN at position {altered}:" in result.output


def test_altering_a_feed_row_or_its_hash_makes_verify_fail_at_that_position(
    fresh_services: Services,
) -> None:
    populated(fresh_services)
    envelope_altered = feed_position(fresh_services, "balance.debited", nth=0)
    hash_altered = feed_position(fresh_services, "balance.debited", nth=2)
    with fresh_services.resources.pool.connection() as conn:
        conn.execute(
            "UPDATE rm_event_feed.events SET envelope = replace(envelope::text, '\"fee\"',"
            " '\"gift\"')::json WHERE position = %s",
            (envelope_altered,),
        )
        conn.execute(
            "UPDATE rm_event_feed.events SET hash = md5(hash) || md5(hash) WHERE position = %s",
            (hash_altered,),
        )
    verdict = Verifier(fresh_services.resources.ledger, fresh_services.resources.pool).verify()
    assert [b.position for b in verdict.breaks] == [envelope_altered, hash_altered]
    assert verdict.first_break is not None
    assert verdict.first_break.position == envelope_altered


def test_a_balance_read_model_that_disagrees_with_the_log_is_a_break(
    fresh_services: Services,
) -> None:
    users = populated(fresh_services)
    with fresh_services.resources.pool.connection() as conn:
        conn.execute(
            "UPDATE rm_balances.balances SET available_stroops = available_stroops + 1"
            " WHERE user_id = %s",
            (users[0],),
        )
    verdict = Verifier(fresh_services.resources.ledger, fresh_services.resources.pool).verify()
    assert len(verdict.breaks) == 1
    assert "rm_balances" in verdict.breaks[0].problem
    assert users[0] in verdict.breaks[0].problem


def test_an_export_is_json_lines_whose_hashes_chain(fresh_services: Services) -> None:
    populated(fresh_services, users=2)
    result = audit(fresh_services, "export", "--from", "3")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    with fresh_services.resources.pool.connection() as conn:
        rows = conn.execute(
            "SELECT position FROM rm_event_feed.events WHERE position >= 3 ORDER BY position"
        ).fetchall()
    assert [line["position"] for line in lines] == [r["position"] for r in rows]
    previous = lines[0]["previousHash"]
    assert previous != GENESIS_HASH
    for line in lines:
        assert line["previousHash"] == previous
        assert line["chain"] == 1  # no chain version recorded on this log: the first formula
        assert line["hash"] == link(previous, canonical(chained(line["envelope"])))
        previous = line["hash"]
    assert any(line["envelope"].get("postings") for line in lines)


VERIFY_EXPORT = Path(__file__).resolve().parents[2] / "ops" / "audit" / "verify_export.py"


def test_the_stdlib_script_verifies_an_export_and_names_a_tampered_position(
    fresh_services: Services, tmp_path: Path
) -> None:
    populated(fresh_services, users=2)
    exported = tmp_path / "export.jsonl"
    assert audit(fresh_services, "export", "-o", str(exported)).exit_code == 0
    intact = subprocess.run(
        [sys.executable, str(VERIFY_EXPORT), str(exported)], capture_output=True, text=True
    )
    assert intact.returncode == 0, intact.stdout
    assert intact.stdout.startswith("chain intact")

    lines = [json.loads(text) for text in exported.read_text().splitlines()]
    victim = next(line for line in lines if line["type"] == "balance.credited")
    victim["envelope"]["data"]["amount"] = "999.00"
    exported.write_text("".join(json.dumps(line) + "\n" for line in lines))
    tampered = subprocess.run(
        [sys.executable, str(VERIFY_EXPORT), str(exported)], capture_output=True, text=True
    )
    assert tampered.returncode == 1
    assert tampered.stdout.strip() == f"chain breaks at position {victim['position']}"


def script(exported: Path, verifier: Path = VERIFY_EXPORT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(verifier), str(exported)], capture_output=True, text=True
    )


def documented_verifier() -> str:
    """The verifier docs/audit.md prints under "Verifying an export yourself"."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()
    section = doc.split("## Verifying an export yourself", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def upgraded(services: Services) -> int:
    """A log written with version 1 links, then chain version 2 recorded (what the runner does
    when it first starts with this code), then more money moved — with client metadata no
    canonical text spells as JCS and a NUL in a reason — and every read model caught up.
    Returns the position of the version marker."""
    users = populated(services, users=2)
    marker = services.use_cases.chain_versions.record_latest(CONTEXT)
    assert marker is not None
    for user in users:
        services.use_cases.balances.adjust(user, "credit", Amount(7_000), "late\x00", CONTEXT)
    services.use_cases.orders.create(
        OrderTerms(
            users[0],
            users[1],
            Amount(10_000_000),
            "jcs",
            metadata={"ratio": 1e-07, "whole": 100.0, "big": 2**60, "\U0001f600": 1, "\ue000": 2},
        ),
        CONTEXT,
    )
    for store in services.resources.projections.values():
        store.catch_up()
    return marker


def test_a_log_upgraded_to_chain_version_2_verifies_and_exports_each_link_with_its_version(
    fresh_services: Services, tmp_path: Path
) -> None:
    marker = upgraded(fresh_services)
    verdict = Verifier(fresh_services.resources.ledger, fresh_services.resources.pool).verify()
    assert verdict.ok, verdict.breaks
    assert verdict.chain_versions_from == {LATEST_CHAIN_VERSION: marker}
    said = audit(fresh_services, "verify")
    assert said.exit_code == 0, said.output
    assert f"chain version 2 from position {marker}" in said.output
    exported = tmp_path / "export.jsonl"
    assert audit(fresh_services, "export", "-o", str(exported)).exit_code == 0
    lines = [json.loads(text) for text in exported.read_text().splitlines()]
    assert {line["chain"] for line in lines if line["position"] < marker} == {1}
    assert {line["chain"] for line in lines if line["position"] >= marker} == {2}
    assert next(line for line in lines if line["position"] == marker)["type"] == CHAIN_VERSIONED
    assert lines[-1]["hash"] == verdict.head_hash

    intact = script(exported)
    assert intact.returncode == 0, intact.stdout
    assert intact.stdout.strip() == f"chain intact, head {verdict.head_hash}"
    documented = tmp_path / "documented.py"
    documented.write_text(documented_verifier())
    by_the_doc = script(exported, documented)
    assert by_the_doc.stdout.strip() == f"chain intact, head {verdict.head_hash}"

    # An export that starts after the marker takes its version from its first line.
    later = tmp_path / "later.jsonl"
    assert (
        audit(fresh_services, "export", "--from", str(marker + 2), "-o", str(later)).exit_code == 0
    )
    assert script(later).returncode == 0


def test_a_tampered_amount_or_posting_after_the_upgrade_breaks_the_script_at_its_position(
    fresh_services: Services, tmp_path: Path
) -> None:
    marker = upgraded(fresh_services)
    exported = tmp_path / "export.jsonl"
    assert audit(fresh_services, "export", "-o", str(exported)).exit_code == 0
    texts = exported.read_text().splitlines()

    def tampered(change: Any, after: int) -> tuple[int, str]:
        lines = [json.loads(text) for text in texts]
        victim = next(
            line
            for line in lines
            if line["type"] == "balance.credited" and line["position"] > after
        )
        change(victim["envelope"])
        exported.write_text("".join(json.dumps(line) + "\n" for line in lines))
        return victim["position"], script(exported).stdout.strip()

    def amount(envelope: dict[str, Any]) -> None:
        envelope["data"]["amount"] = "999.00"

    def posting(envelope: dict[str, Any]) -> None:
        envelope["postings"][0]["amount"] = "999.00"

    position, said = tampered(amount, marker)
    assert said == f"chain breaks at position {position}"
    documented = tmp_path / "documented.py"
    documented.write_text(documented_verifier())
    by_the_doc = script(exported, documented)
    assert by_the_doc.returncode == 1
    assert by_the_doc.stderr.strip() == f"chain breaks at position {position}"
    # Version 2 covers postings: a forged posting is a break in the export alone.
    position, said = tampered(posting, marker)
    assert said == f"chain breaks at position {position}"
    # A link that claims another version than the log's is a break too.
    lines = [json.loads(text) for text in texts]
    lines[-1]["chain"] = 1
    exported.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert script(exported).stdout.strip() == f"chain breaks at position {lines[-1]['position']}"


def test_the_chain_version_is_recorded_once_however_many_processes_start_at_once(
    database_factory: Any, redis_url: str
) -> None:
    database = database_factory()
    many = [build_services(settings_for_tests(), database, redis_url) for _ in range(3)]
    try:
        with ThreadPoolExecutor(len(many)) as pool:
            recorded = list(
                pool.map(lambda s: s.use_cases.chain_versions.record_latest(CONTEXT), many)
            )
        assert len([p for p in recorded if p is not None]) == 1
        assert many[0].use_cases.chain_versions.record_latest(CONTEXT) is None
        ensure_projections(many[0])
        for store in many[0].resources.projections.values():
            store.catch_up()
        with many[0].resources.pool.connection() as conn:
            rows = conn.execute(
                "SELECT position FROM rm_event_feed.events WHERE type = %s", (CHAIN_VERSIONED,)
            ).fetchall()
        assert [r["position"] for r in rows] == [p for p in recorded if p is not None]
    finally:
        for services in many:
            services.close()
