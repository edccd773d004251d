"""``python -m simulator``: one JSON line, then auth/REST served on that origin."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest


@pytest.mark.e2e
def test_serve_prints_one_json_line_and_serves() -> None:
    process = subprocess.Popen(
        [
            sys.executable, "-m", "simulator", "--port", "0", "--control", "--seed", "2",
            "--token-ttl-seconds", "600", "--redirect-uri", "https://app.example/cb",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        base = info["base_url"]
        assert base.startswith("http://127.0.0.1:") and base.endswith("/")
        assert info["redirect_uris"] == ["https://app.example/cb"]
        with httpx.Client(base_url=base, timeout=10) as client:
            token = client.post(
                "v2/token",
                json={
                    "grant_type": "client_credentials",
                    "client_id": info["client_id"],
                    "client_secret": info["client_secret"],
                },
            ).json()
            assert token["rest_instance_url"] == base
            assert token["soap_instance_url"] == base
            assert token["expires_in"] == 600 - 121
            assert client.get("__sim/stats").json()["operations"] == {
                "auth.token.client_credentials": 1
            }
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_describe_defaults() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "describe", "--port", "9999"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    info = json.loads(result.stdout)
    assert info["base_url"] == "http://127.0.0.1:9999/"
    assert info["redirect_uris"] == [
        "http://127.0.0.1:8000/api/auth/callback",
        "http://localhost:8000/api/auth/callback",
    ]
    assert info["scale"] == "small"


def test_public_url_is_what_clients_are_told() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "describe", "--host", "0.0.0.0",  # noqa: S104
         "--public-url", "http://simulator:8900"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert json.loads(result.stdout)["base_url"] == "http://simulator:8900/"


def test_bad_public_url_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "describe", "--public-url", "simulator:8900"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "--public-url" in result.stderr


def test_refuses_to_run_in_production() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "--port", "0"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "QUARRY_ENV": "production"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "development-only" in result.stderr
    assert result.stdout == ""  # it never printed its JSON line (never listened)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--query-timeout-seconds", "0", "query_timeout_seconds must be a finite number above 0"),
        ("--query-base-seconds", "-1", "query_base_seconds must be a finite number of 0"),
        ("--query-queue-seconds", "nan", "query_queue_seconds must be a finite number of 0"),
        (
            "--query-seconds-per-million-rows",
            "inf",
            "query_seconds_per_million_rows must be a finite number of 0",
        ),
    ],
)
def test_bad_query_timings_are_refused(option: str, value: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "describe", option, value],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
