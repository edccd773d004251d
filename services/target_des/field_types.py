"""MCE field types for target DEs: a query's output column as a field, and the type rules.

REFERENCE records the types (``Text, Number, Date, Boolean, EmailAddress, Phone, Decimal,
Locale``), that Number fields have no MaxLength, that a Decimal is created with ``Precision``
and ``Scale``, that EmailAddress defaults to 254 characters and that primary-key fields are
always required; MCE runs the query as T-SQL on SQL Server, whose decimal has a precision of
1 to 38 and a scale of 0 to the precision. Those are errors. The upper lengths (Text 4000,
EmailAddress 254, Phone 50, Locale 5), Boolean primary keys and default values are what the
simulator refuses; REFERENCE is silent, so they are warnings (``[sim]`` in docs/deploy.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from services.target_des.model import FieldInput, FieldType, Issue, IssueSeverity, RuleSource
from tsql import Column

__all__ = [
    "DECIMAL_DEFAULT",
    "LENGTH_LIMITS",
    "MAX_PRECISION",
    "ProposedField",
    "check_field_type",
    "propose_field",
]

#: Types with a MaxLength: (the length proposed when the output's is unknown, the longest
#: the simulator accepts [sim]).
LENGTH_LIMITS: dict[FieldType, tuple[int, int]] = {
    FieldType.TEXT: (4000, 4000),
    FieldType.EMAIL_ADDRESS: (254, 254),
    FieldType.PHONE: (50, 50),
    FieldType.LOCALE: (5, 5),
}
#: SQL Server's decimal: precision 1 to 38.
MAX_PRECISION = 38
#: Precision and scale proposed for a Decimal output whose own are unknown.
DECIMAL_DEFAULT = (18, 2)

_NO_LENGTH = {FieldType.NUMBER, FieldType.DATE, FieldType.BOOLEAN, FieldType.DECIMAL}


@dataclass(frozen=True, slots=True)
class ProposedField:
    """A field the wizard proposes for one output column, and why."""

    name: str
    field_type: FieldType
    length: int | None
    precision: int | None
    scale: int | None
    nullable: bool
    is_primary_key: bool
    reason: str

    def as_input(self) -> FieldInput:
        return FieldInput(
            name=self.name,
            field_type=self.field_type,
            length=self.length,
            precision=self.precision,
            scale=self.scale,
            is_required=not self.nullable,
            is_primary_key=self.is_primary_key,
        )


def propose_field(column: Column, *, primary_key: bool) -> ProposedField:
    """The field for ``column`` (inferred by tsql): its type, size and nullability, with the
    reason in a few words. A primary-key field is always required."""
    field_type = column.field_type if column.type_known else FieldType.TEXT
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    if not column.type_known:
        length = LENGTH_LIMITS[FieldType.TEXT][0]
        why = f"type not known ({column.note or 'not inferable'}): Text({length}) holds any value"
    elif field_type in LENGTH_LIMITS:
        default, longest = LENGTH_LIMITS[field_type]
        if column.max_length is None:
            length = default
            why = f"{field_type.value}, length not known: {length}"
        elif column.max_length > longest:
            length = longest
            why = f"{field_type.value}({column.max_length}) inferred, capped at {longest}"
        else:
            length = column.max_length
            why = f"{field_type.value}({length}) as inferred"
    elif field_type is FieldType.DECIMAL:
        if column.precision is None:
            precision, scale = DECIMAL_DEFAULT
            why = f"Decimal, precision not known: ({precision}, {scale})"
        else:
            precision = min(column.precision, MAX_PRECISION)
            scale = min(column.scale or 0, precision)
            why = f"Decimal({precision}, {scale}) as inferred"
    elif field_type is FieldType.NUMBER:
        why = "Number (whole numbers) as inferred"
    else:
        why = f"{field_type.value} as inferred"
    if column.type_known and column.note:
        why += f"; {column.note}"
    if primary_key:
        nullable = False
        why += "; primary key, so required"
    elif column.nullable:
        nullable = True
        why += "; may be NULL"
    else:
        nullable = False
        why += "; never NULL in the output, so required"
    return ProposedField(
        name=column.name,
        field_type=field_type,
        length=length,
        precision=precision,
        scale=scale,
        nullable=nullable,
        is_primary_key=primary_key,
        reason=why,
    )


def _issue(
    code: str,
    field: str,
    message: str,
    *,
    source: RuleSource,
    severity: IssueSeverity = IssueSeverity.ERROR,
) -> Issue:
    return Issue(code=code, field=field, message=message, severity=severity, source=source)


def check_field_type(spec: FieldInput, *, path: str) -> list[Issue]:
    """Type, size, key and default rules of one field; ``path`` is ``fields.N``."""
    issues: list[Issue] = []
    kind = spec.field_type
    if spec.length is not None:
        if kind in _NO_LENGTH:
            what = "a precision" if kind is FieldType.DECIMAL else "no length"
            issues.append(
                _issue(
                    "LENGTH_NOT_APPLICABLE",
                    f"{path}.length",
                    f"A {kind.value} field has {what}"
                    + (": give precision and scale." if kind is FieldType.DECIMAL else "."),
                    source=RuleSource.REFERENCE,
                )
            )
        elif spec.length < 1:
            issues.append(
                _issue(
                    "LENGTH_INVALID",
                    f"{path}.length",
                    "A length is at least 1.",
                    source=RuleSource.QUARRY,
                )
            )
        elif spec.length > LENGTH_LIMITS[kind][1]:
            issues.append(
                _issue(
                    "LENGTH_TOO_LONG",
                    f"{path}.length",
                    f"The simulator accepts {kind.value} lengths up to {LENGTH_LIMITS[kind][1]};"
                    " Marketing Cloud's limit is not documented.",
                    source=RuleSource.SIMULATOR,
                    severity=IssueSeverity.WARNING,
                )
            )
    if kind is FieldType.DECIMAL:
        issues.extend(_decimal(spec, path))
    else:
        for name, value in (("precision", spec.precision), ("scale", spec.scale)):
            if value is not None:
                issues.append(
                    _issue(
                        "PRECISION_NOT_APPLICABLE",
                        f"{path}.{name}",
                        f"Only Decimal fields have a {name}.",
                        source=RuleSource.REFERENCE,
                    )
                )
    if spec.is_primary_key and spec.is_required is False:
        issues.append(
            _issue(
                "PRIMARY_KEY_REQUIRED",
                f"{path}.isRequired",
                "A primary key field is always required.",
                source=RuleSource.REFERENCE,
            )
        )
    if spec.is_primary_key and kind is FieldType.BOOLEAN:
        issues.append(
            _issue(
                "BOOLEAN_PRIMARY_KEY",
                f"{path}.isPrimaryKey",
                "The simulator refuses a Boolean primary key; Marketing Cloud's rule is not"
                " documented.",
                source=RuleSource.SIMULATOR,
                severity=IssueSeverity.WARNING,
            )
        )
    if spec.default_value is not None:
        problem = _default_problem(spec)
        if problem is not None:
            issues.append(
                _issue(
                    "DEFAULT_VALUE_INVALID",
                    f"{path}.defaultValue",
                    f"{problem}; the simulator refuses it (Marketing Cloud's rule is not"
                    " documented).",
                    source=RuleSource.SIMULATOR,
                    severity=IssueSeverity.WARNING,
                )
            )
    return issues


def _decimal(spec: FieldInput, path: str) -> list[Issue]:
    precision = spec.precision if spec.precision is not None else DECIMAL_DEFAULT[0]
    issues: list[Issue] = []
    if not 1 <= precision <= MAX_PRECISION:
        issues.append(
            _issue(
                "PRECISION_INVALID",
                f"{path}.precision",
                f"A Decimal's precision is 1 to {MAX_PRECISION} (SQL Server's decimal).",
                source=RuleSource.REFERENCE,
            )
        )
    scale = spec.scale if spec.scale is not None else 0
    if scale < 0 or (1 <= precision <= MAX_PRECISION and scale > precision):
        issues.append(
            _issue(
                "SCALE_INVALID",
                f"{path}.scale",
                f"A Decimal's scale is 0 to its precision ({precision}).",
                source=RuleSource.REFERENCE,
            )
        )
    return issues


def _default_problem(spec: FieldInput) -> str | None:
    """Why a default value does not fit the field's type, or None."""
    value = spec.default_value or ""
    kind = spec.field_type
    if value == "":
        return None
    if kind is FieldType.NUMBER:
        try:
            number = int(value.strip())
        except ValueError:
            return f"'{value}' is not a whole number"
        return None if -(2**31) <= number < 2**31 else f"{value} is beyond a Number's range"
    if kind is FieldType.DECIMAL:
        try:
            Decimal(value.strip())
        except InvalidOperation:
            return f"'{value}' is not a decimal number"
        return None
    if kind is FieldType.BOOLEAN:
        ok = value.strip().casefold() in {"true", "false", "1", "0"}
        return None if ok else f"'{value}' is not True or False"
    if kind is FieldType.DATE:
        for form in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"):
            try:
                datetime.strptime(value.strip(), form)
            except ValueError:
                continue
            return None
        return f"'{value}' is not a date (M/D/YYYY or YYYY-MM-DD)"
    if spec.length is not None and len(value) > spec.length:
        return f"the default is longer than the field ({spec.length})"
    return None
