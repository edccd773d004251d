"""Turning MCE's SOAP answers into the client's typed errors (REFERENCE §2.3, §2.5).

MCE reports an expired token and throttling the same way it reports an outage: HTTP 500
with a SOAP fault. The fault must therefore be read before anything decides to retry:
``q0:Security`` faults (``Token Expired``, ``Login Failed``) ask the pipeline for a fresh
token, ``Rate Limited`` asks it to back off, other server faults are outages and client
faults are our request's fault. Business errors arrive as HTTP 200 with an
``OverallStatus`` of ``Error: <message>`` (Retrieve) or ``Error`` with per-result
messages (Create/Update/Delete/Perform). MCE's message is kept for the user in every case.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from lxml import etree

from client.errors import (
    MceError,
    MceUnavailable,
    MceValidationError,
    NotFound,
    PermissionDenied,
    Throttled,
    TokenRejected,
)
from client.retry_after import parse_retry_after
from client.soap.names import SOAP_ENV_NS, WSSE_NS
from client.soap.parsing import PARSER, first_error, peek_overall_status

__all__ = ["SoapFault", "business_error", "classify", "parse_fault"]

_FAULT = f"{{{SOAP_ENV_NS}}}Fault"
_TOKEN_FAULTS = ("token expired", "login failed")
_AUTHORIZATION_FAILURE = 11  # MCE's documented ErrorCode for refused access
#: The OverallStatus values of a response that worked, fully or in part (per-object results
#: say which); anything else is not a response Quarry understands.
_SUCCESS_STATUSES = frozenset({"OK", "MoreDataAvailable", "Has Errors"})


@dataclass(frozen=True, slots=True)
class SoapFault:
    """A SOAP 1.1 fault. ``code`` is the local part of ``faultcode``, ``code_ns`` the
    namespace its prefix names (WS-Security for token problems)."""

    code: str
    code_ns: str | None
    string: str
    detail_code: int | None = None


def parse_fault(content: bytes) -> SoapFault | None:
    """The fault in a response body, or ``None`` when the body is not a SOAP fault."""
    try:
        root = etree.fromstring(content, parser=PARSER)
    except etree.XMLSyntaxError:
        return None
    fault = root.find(f"{{{SOAP_ENV_NS}}}Body/{_FAULT}")
    if fault is None:
        return None
    code_element = fault.find("faultcode")
    raw_code = ""
    code_ns: str | None = None
    if code_element is not None:
        raw_code = (code_element.text or "").strip()
        prefix, _, _local = raw_code.rpartition(":")
        code_ns = code_element.nsmap.get(prefix or None)
    detail_code: int | None = None
    for detail in fault.iter("{*}apifault"):
        text = (detail.findtext("{*}Code") or "").strip()
        detail_code = int(text) if text.isascii() and text.isdigit() else None
        break
    return SoapFault(
        code=raw_code.rpartition(":")[2],
        code_ns=code_ns,
        string=(fault.findtext("faultstring") or "").strip(),
        detail_code=detail_code,
    )


def _fault_error(fault: SoapFault, status: int, retry_after: float | None) -> MceError:
    text = fault.string.lower()
    if fault.code == "Security" and (fault.code_ns in (None, WSSE_NS)):
        if any(marker in text for marker in _TOKEN_FAULTS):
            return TokenRejected(
                "Marketing Cloud rejected the access token.",
                mce_message=fault.string,
                status=status,
            )
        return PermissionDenied(
            fault.string or "Marketing Cloud refused the request.",
            mce_message=fault.string,
            status=status,
        )
    if "rate limited" in text:
        return Throttled(
            "Marketing Cloud is rate limiting this account; try again shortly.",
            retry_after=retry_after,
            mce_message=fault.string,
            mce_code=fault.detail_code,
            status=status,
        )
    if fault.code == "Client":
        return MceValidationError(
            fault.string or "Marketing Cloud refused the request.",
            mce_message=fault.string,
            mce_code=fault.detail_code,
            status=status,
        )
    return MceUnavailable(
        "Marketing Cloud failed to process the request.",
        retry_safe=status == 503,
        retry_after=retry_after,
        mce_message=fault.string,
        mce_code=fault.detail_code,
        status=status,
    )


def business_error(message: str, code: int | None = None) -> MceError:
    """The typed error for a business error MCE answered with HTTP 200: its message decides
    between "not allowed", "not there" and "not valid"; the message itself is kept."""
    lowered = message.lower()
    text = message or "Marketing Cloud refused the request."
    if (
        code == _AUTHORIZATION_FAILURE
        or "insufficient privileges" in lowered
        or "permission failed" in lowered  # the package lacks the scope (API Permission Failed)
    ):
        return PermissionDenied(text, mce_message=message, mce_code=code, status=200)
    missing = "does not exist" in lowered or "not found" in lowered
    if missing and not lowered.startswith("requested value"):
        return NotFound(text, mce_message=message, mce_code=code, status=200)
    return MceValidationError(text, mce_message=message, mce_code=code, status=200)


def classify(response: httpx.Response) -> MceError | None:
    """``MceCaller``'s classifier for SOAP: a typed error, or ``None`` for success.

    "Has Errors" (some objects failed) is not an error here: the operation reads each
    object's result.
    """
    status = response.status_code
    content = response.content
    if status == 200:
        overall = peek_overall_status(content)
        if overall is None:
            return MceUnavailable(
                "Marketing Cloud sent a SOAP response Quarry could not read.", status=status
            )
        if overall.startswith("Error:"):
            return business_error(overall.partition(":")[2].strip())
        if overall == "Error":
            found = first_error(content)
            return business_error(*(found or ("Marketing Cloud refused the request.", None)))
        if overall not in _SUCCESS_STATUSES:
            return MceUnavailable(
                "Marketing Cloud sent a SOAP response Quarry could not read.", status=status
            )
        return None
    fault = parse_fault(content) if content else None
    if fault is not None:
        return _fault_error(fault, status, _retry_after(response))
    if status == 429:
        return Throttled(
            "Marketing Cloud is rate limiting this account.",
            retry_after=_retry_after(response),
            status=status,
        )
    if status == 401:
        return TokenRejected("Marketing Cloud rejected the access token.", status=status)
    if status == 403:
        return PermissionDenied("Marketing Cloud refused the request.", status=status)
    return MceUnavailable(
        "Marketing Cloud failed to process the request.",
        status=status,
        retry_safe=status == 503,
        retry_after=_retry_after(response),
    )


def _retry_after(response: httpx.Response) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"))
