"""docker-compose.yml and the Dockerfile (and scripts/dev's server command): checked by structure,
since no Docker engine runs here.

What would otherwise only fail on a user's machine: a missing service or healthcheck, a
`depends_on` naming a service that does not exist (or waiting for health it never reports),
environment the app's settings reject, and an image that ignores the pinned versions.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from app.graphql import MAX_WEBSOCKET_FRAME_BYTES
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"postgres", "redis", "api", "worker", "poller", "simulator"}
PYTHON_SERVICES = ("api", "worker", "poller", "simulator")
APP_ENV_KEYS = {"DATABASE_URL", "REDIS_URL", "PUBLIC_URL", "QUARRY_ENV", "MCE_AUTH_BASE_URL"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result = compose["services"]
    assert isinstance(result, dict)
    return result


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the KEY=value list form
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _published(service: dict[str, Any]) -> set[str]:
    return {str(p) for p in service.get("ports", [])}


def test_the_five_services_exist(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == SERVICES


def test_datastores_use_the_versions_design_md_names(
    services: dict[str, dict[str, Any]],
) -> None:
    assert services["postgres"]["image"].split(":")[1].split(".")[0] == "15"
    assert services["redis"]["image"].split(":")[1].split(".")[0] == "7"
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


@pytest.mark.parametrize("name", PYTHON_SERVICES)
def test_python_services_build_the_repo_dockerfile(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    build = services[name]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).resolve() == ROOT / "Dockerfile"
    assert "image" not in services[name]


def test_dockerfile_is_python_311_slim_and_installs_with_the_constraints() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert stages[-1] == "FROM python:3.11-slim"  # the image that runs
    installs = [line for line in lines if "pip install" in line]
    assert installs and all("-c constraints.txt" in line for line in installs)
    assert any(line.startswith("COPY") and "constraints.txt" in line for line in lines)
    assert any(line.startswith("USER ") and line != "USER root" for line in lines)


def test_the_image_serves_graphiql_from_builds_installed_at_build_time() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "FROM node:20-slim AS graphiql" in text
    assert "npm ci" in text
    assert "COPY --from=graphiql /graphiql/node_modules web/graphiql/node_modules" in text


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".data", ".env"} <= ignored


def test_every_service_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test")
        assert test, f"{name} has no healthcheck"
        assert test[0] in {"CMD", "CMD-SHELL"}, name


def test_healthchecks_probe_what_each_service_serves(
    services: dict[str, dict[str, Any]],
) -> None:
    def probe(name: str) -> str:
        return " ".join(services[name]["healthcheck"]["test"])

    assert "pg_isready" in probe("postgres")
    assert "ping" in probe("redis")
    assert "127.0.0.1:8000/api/healthz" in probe("api")
    assert "127.0.0.1:8900/" in probe("simulator")
    assert "Worker.all" in probe("worker")
    assert "quarry:runs:poller-alive:" in probe("poller")


def test_depends_on_names_existing_services_and_waits_for_health(
    services: dict[str, dict[str, Any]],
) -> None:
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: use the long form with conditions"
        for target, spec in depends.items():
            assert target in services, f"{name} depends on unknown service {target}"
            assert target != name
            assert spec["condition"] in conditions
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{target} never reports health"


def test_start_order(services: dict[str, dict[str, Any]]) -> None:
    def waits_for(name: str) -> set[str]:
        return {
            target
            for target, spec in services[name].get("depends_on", {}).items()
            if spec["condition"] == "service_healthy"
        }

    assert {"postgres", "redis", "simulator"} <= waits_for("api")
    # The api runs the migrations before it reports healthy; the worker needs them done.
    assert {"postgres", "redis", "api"} <= waits_for("worker")
    assert "migrate" in " ".join(services["api"]["command"])


def test_ports_are_published_on_loopback_only(services: dict[str, dict[str, Any]]) -> None:
    assert _published(services["api"]) == {"127.0.0.1:8000:8000"}
    assert _published(services["simulator"]) == {"127.0.0.1:8900:8900"}
    # Datastores stay inside the compose network: no clash with a local server's port.
    assert not _published(services["postgres"]) and not _published(services["redis"])


def test_servers_listen_on_the_ports_they_publish(services: dict[str, dict[str, Any]]) -> None:
    api = " ".join(services["api"]["command"])
    simulator = " ".join(services["simulator"]["command"])
    assert "uvicorn app.main:app --host 0.0.0.0 --port 8000" in api
    assert "-m simulator --host 0.0.0.0 --port 8900 --control" in simulator
    assert services["worker"]["command"][-1].endswith("exec python -m app.worker")


@pytest.mark.parametrize("name", ["api", "worker"])
def test_app_and_worker_get_the_simulators_package_credentials(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    """Both refresh MCE tokens, so both need the (simulated) package's client id and secret,
    which follow from the simulator's seed."""
    command = " ".join(services[name]["command"])
    seed = services["simulator"]["command"]
    assert "--seed" not in seed  # the simulator's default seed, 1
    assert 'eval "$(python -m app.devstack.simulator_env --seed 1)"' in command


def test_browsers_are_sent_to_the_simulators_published_port(
    services: dict[str, dict[str, Any]],
) -> None:
    env = _env(services["api"])
    browser = urlsplit(env["MCE_BROWSER_AUTH_BASE_URL"])
    published = services["simulator"]["ports"][0].split(":")
    assert (browser.hostname, str(browser.port)) == (
        published[0].replace("127.0.0.1", "localhost"),
        published[1],
    )


@pytest.mark.parametrize("name", ["api", "worker"])
def test_app_environment_points_at_the_compose_services(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    env = _env(services[name])
    assert set(env) >= APP_ENV_KEYS
    assert env["QUARRY_ENV"] == "development"
    assert urlsplit(env["DATABASE_URL"]).hostname == "postgres"
    assert urlsplit(env["REDIS_URL"]).hostname == "redis"
    simulator = urlsplit(env["MCE_AUTH_BASE_URL"])
    assert (simulator.hostname, simulator.port) == ("simulator", 8900)
    assert env["PUBLIC_URL"] == "http://localhost:8000"


@pytest.mark.parametrize("name", ["api", "worker"])
def test_app_settings_accept_the_compose_environment(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    settings = Settings.from_env(_env(services[name]))
    assert settings.database_url == _env(services[name])["DATABASE_URL"]
    assert settings.redis_url == _env(services[name])["REDIS_URL"]


def _ws_max_size(command: list[str]) -> int | None:
    """The ``--ws-max-size`` a uvicorn argument list sets (either spelling), else None."""
    for position, argument in enumerate(command):
        if argument == "--ws-max-size":
            return int(command[position + 1])
        if argument.startswith("--ws-max-size="):
            return int(argument.split("=", 1)[1])
    return None


def _uvicorn_commands(text: str) -> list[list[str]]:
    """Every ``uvicorn app.main:app ...`` invocation in a shell text (comments aside), as
    argument lists."""
    commands = []
    for line in text.replace("\\\n", " ").splitlines():
        if "uvicorn app.main:app" in line and not line.lstrip().startswith("#"):
            words = shlex.split(line.split("uvicorn app.main:app", 1)[1], comments=True)
            commands.append(["uvicorn", "app.main:app", *words])
    return commands


def test_every_api_server_caps_websocket_frames(services: dict[str, dict[str, Any]]) -> None:
    """uvicorn reads websocket frames of up to 16 MiB by default; the API needs far less."""
    api = _uvicorn_commands(" ".join(services["api"]["command"]))
    dev = _uvicorn_commands((ROOT / "scripts" / "dev").read_text())
    cmd = [
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD")
    ]
    assert len(api) == 1 and len(dev) == 1 and len(cmd) == 1
    image = json.loads(cmd[0].removeprefix("CMD").strip())
    assert image[:2] == ["uvicorn", "app.main:app"]
    for command in (*api, *dev, image):
        assert _ws_max_size(command) == MAX_WEBSOCKET_FRAME_BYTES, command
