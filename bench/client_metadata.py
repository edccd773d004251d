"""How the MCE Bridge's SOAP layer performs on a big BU: metadata sync, overhead, parsing.

Starts the simulator in its own process (``python -m simulator --scale large``: 10,000
DEs, 150,000 fields and 100+ folders in the parent BU; a process of its own so that its
rendering does not share this process's GIL) and prints:

* a metadata sync with ``--latency-ms`` (50) per call: folders and DEs at once, and the
  fields of every 200 DEs in parallel ``IN``-filter chunks (``--concurrency`` calls at a
  time) as soon as the DE pages name them,
  and, for comparison, all fields in one sequential paged Retrieve: calls, wall time and
  wall / (calls x latency), which is below 1 when independent calls overlap;
* the time to parse the partner WSDL (and MCE's real one, when ../shared/mce has it);
* the SOAP layer's own cost per call against a zero-latency simulator: a small Retrieve
  through ``SoapOperations`` minus the same envelope posted with bare httpx;
* Retrieve parse throughput (results/s) on one 2,500-result DataExtensionField page: our
  streaming reader, plain lxml ``fromstring`` + XPath on the same page, and zeep (best of
  several runs: CPU-bound timings on a shared machine are noisy upwards).

Run:

    .venv/bin/python -m bench.client_metadata [--latency-ms 50] [--concurrency 8] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from lxml import etree
from zeep.transports import Transport

from client.http import create_http_client
from client.pipeline import MceCaller
from client.secret import Secret
from client.soap import (
    DataExtensionField,
    SoapOperations,
    load_schema,
    parse_retrieve,
    partner_schema,
)
from client.soap.messages import RetrieveQuery, retrieve_body
from client.tokens import AccessToken, CallTarget

REPO = Path(__file__).resolve().parents[1]
SHARED_MCE = REPO / ".." / "shared" / "mce"
PARTNER_WSDL = REPO / "client" / "soap" / "partner.wsdl"
PARTNER = "http://exacttarget.com/wsdl/partnerAPI"
FAULT_XSD_URL = "https://webservice.exacttarget.com/ETFrameworkFault.xsd"


class _StaticTokens:
    """One access token minted by the simulator (the bench never lets it expire)."""

    def __init__(self, token: str) -> None:
        self._token = AccessToken(Secret(token), datetime.now(UTC) + timedelta(hours=1))

    async def access_token(self, target: CallTarget) -> AccessToken:
        return self._token

    async def token_rejected(self, target: CallTarget, token: AccessToken) -> None:
        raise RuntimeError("the bench token was rejected")


class _LocalFaultSchema(Transport):
    def load(self, url: str) -> bytes:
        if url == FAULT_XSD_URL:
            return (SHARED_MCE / "ETFrameworkFault.xsd").read_bytes()
        result: bytes = super().load(url)
        return result


class _Simulator:
    """``python -m simulator`` in a child process, with its control API."""

    def __init__(self, scale: str) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "simulator", "--port", "0", "--scale", scale, "--control"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.info: dict[str, Any] = json.loads(self.process.stdout.readline())
        self.url: str = self.info["base_url"]
        self.control = httpx.Client(base_url=self.url, timeout=60)

    def token(self) -> str:
        """A client_credentials token for the enterprise (parent) BU."""
        response = self.control.post(
            "v2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": self.info["client_id"],
                "client_secret": self.info["client_secret"],
            },
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def soap_calls(self) -> int:
        operations: dict[str, int] = self.control.get("__sim/stats").json()["operations"]
        return sum(n for name, n in operations.items() if name.startswith("soap."))

    def latency(self, ms: int) -> None:
        self.control.post("__sim/latency", json={"ms": ms}).raise_for_status()

    def close(self) -> None:
        self.control.close()
        self.process.terminate()
        self.process.wait(timeout=10)


def _best_ms(func: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


async def _sync(ops: SoapOperations, *, concurrency: int) -> tuple[int, int, int]:
    """Folders and DEs at once; each 200 DE keys' fields as soon as the DE pages name them."""

    async def count(items: Any) -> int:
        return sum([1 async for _ in items])

    folders_task = asyncio.create_task(count(ops.folders()))
    gate = asyncio.Semaphore(concurrency)
    chunk = 200

    async def fields_of(part: list[str]) -> int:
        async with gate:
            return await count(ops.data_extension_fields(part, keys_per_call=chunk))

    field_tasks: list[asyncio.Task[int]] = []
    part: list[str] = []
    des = 0
    async for de in ops.data_extensions():
        des += 1
        part.append(de.customer_key or "")
        if len(part) == chunk:
            field_tasks.append(asyncio.create_task(fields_of(part)))
            part = []
    if part:
        field_tasks.append(asyncio.create_task(fields_of(part)))
    field_counts = await asyncio.gather(*field_tasks)
    return await folders_task, des, sum(field_counts)


async def _metadata(
    sim: _Simulator, token: str, target: CallTarget, args: argparse.Namespace
) -> None:
    url = sim.url
    latency = args.latency_ms / 1000
    sim.latency(args.latency_ms)
    async with create_http_client(timeout=120.0) as http:
        caller = MceCaller(http=http, tokens=_StaticTokens(token), timeout=120.0)
        ops = SoapOperations(caller, url=f"{url}Service.asmx", target=target)

        before = sim.soap_calls()
        started = time.perf_counter()
        folders, des, fields = await _sync(ops, concurrency=args.concurrency)
        wall = time.perf_counter() - started
        calls = sim.soap_calls() - before
        print(f"Metadata sync, {args.latency_ms} ms latency per call, {args.concurrency} at a time")
        print(f"  retrieved:  {folders} folders, {des} DEs, {fields} fields")
        print(f"  calls:      {calls}")
        print(f"  wall time:  {wall:.2f} s")
        print(f"  wall / (calls x latency): {wall / (calls * latency):.2f}")

        before = sim.soap_calls()
        started = time.perf_counter()
        sequential = sum([1 async for _ in ops.data_extension_fields(None)])
        wall = time.perf_counter() - started
        calls = sim.soap_calls() - before
        print("All fields in one paged Retrieve (sequential by nature)")
        print(f"  retrieved:  {sequential} fields in {calls} calls, {wall:.2f} s")
        print(f"  wall / (calls x latency): {wall / (calls * latency):.2f}")
    sim.latency(0)


async def _overhead(url: str, token: str, target: CallTarget, rounds: int) -> None:
    """Our layer's cost per call: SoapOperations minus bare httpx with the same envelope."""
    schema = partner_schema()
    query = RetrieveQuery(object_type="BusinessUnit", properties=("ID", "Name"))
    envelope = schema.envelope("Retrieve", token=token, body=retrieve_body(schema, query))
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "Retrieve"}
    calls = rounds * 40
    async with create_http_client() as http:
        caller = MceCaller(http=http, tokens=_StaticTokens(token))
        ops = SoapOperations(caller, url=f"{url}Service.asmx", target=target)
        for _ in range(20):  # warm the pool and the caches
            await http.post(f"{url}Service.asmx", content=envelope, headers=headers)
            [_ async for _ in ops.business_units()]
        started = time.perf_counter()
        for _ in range(calls):
            response = await http.post(f"{url}Service.asmx", content=envelope, headers=headers)
            etree.fromstring(response.content)
        bare = (time.perf_counter() - started) * 1000 / calls
        started = time.perf_counter()
        for _ in range(calls):
            [_ async for _ in ops.business_units()]
        ours = (time.perf_counter() - started) * 1000 / calls
    print(f"Per-call cost, zero latency, small Retrieve ({calls} calls each)")
    print(f"  bare httpx + lxml:  {bare:.2f} ms/call")
    print(f"  SoapOperations:     {ours:.2f} ms/call")
    print(f"  our SOAP layer:     {ours - bare:.2f} ms/call")


def _page(url: str, token: str) -> bytes:
    schema = partner_schema()
    query = RetrieveQuery(
        object_type="DataExtensionField",
        properties=tuple(c.path for c in DataExtensionField.COLUMNS),
    )
    envelope = schema.envelope("Retrieve", token=token, body=retrieve_body(schema, query))
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "Retrieve"}
    return httpx.post(f"{url}Service.asmx", content=envelope, headers=headers, timeout=60).content


def _plain_lxml(content: bytes) -> int:
    ns = {"p": PARTNER}
    root = etree.fromstring(content)
    rows = []
    for result in root.xpath("//p:Results", namespaces=ns):  # type: ignore[union-attr]
        row = {child.tag: child.text for child in result}
        row["de"] = result.xpath("string(p:DataExtension/p:CustomerKey)", namespaces=ns)
        rows.append(row)
    return len(rows)


def _parsing(page: bytes, rounds: int) -> None:
    results = len(parse_retrieve(page, DataExtensionField).results)
    ours = _best_ms(lambda: parse_retrieve(page, DataExtensionField), rounds * 4)
    plain = _best_ms(lambda: _plain_lxml(page), rounds * 4)
    print(f"Retrieve parsing, one page of {results} DataExtensionField results")
    print(f"  page size:               {len(page) / 1024:.0f} KiB")
    print(f"  ours (lxml tree+records): {ours:.1f} ms = {results / ours * 1000:,.0f} results/s")
    print(f"  plain lxml + XPath:       {plain:.1f} ms = {results / plain * 1000:,.0f} results/s")
    print(f"  ours / plain lxml:        {ours / plain:.2f}x")
    if (SHARED_MCE / "ETFramework.wsdl").is_file():
        real = load_schema(SHARED_MCE / "ETFramework.wsdl", transport=_LocalFaultSchema())
        binding: Any = real.service._binding
        operation = binding.get("Retrieve")
        zeep_ms = _best_ms(lambda: operation.process_reply(etree.fromstring(page)), 1)
        rate = results / zeep_ms * 1000
        print(f"  zeep (real WSDL):         {zeep_ms:.0f} ms = {rate:,.0f} results/s")


def _wsdl_parse(rounds: int) -> None:
    ours = _best_ms(lambda: load_schema(PARTNER_WSDL), rounds)
    print("WSDL parse (once per process)")
    print(f"  partner.wsdl (ours):  {ours:.0f} ms")
    if (SHARED_MCE / "ETFramework.wsdl").is_file():
        real = _best_ms(
            lambda: load_schema(SHARED_MCE / "ETFramework.wsdl", transport=_LocalFaultSchema()),
            rounds,
        )
        print(f"  ETFramework.wsdl:     {real:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    sim = _Simulator("large")
    print(f"Simulator (scale large) started in {time.perf_counter() - started:.1f} s")
    try:
        eid = int(sim.info["enterprise_id"])
        target = CallTarget(tenant_id=eid, mid=eid)
        token = sim.token()
        _wsdl_parse(args.rounds)
        _parsing(_page(sim.url, token), args.rounds)
        asyncio.run(_overhead(sim.url, token, target, args.rounds))
        asyncio.run(_metadata(sim, token, target, args))
    finally:
        sim.close()


if __name__ == "__main__":
    main()
