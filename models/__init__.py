"""Tortoise models, the tenant context that drives RLS, and the tenant-aware repository."""

from models.api_token import ApiToken, TokenScope
from models.audit import ActorType, AuditEvent, Outcome
from models.context import MissingTenantContext, TenantContext, tenant_transaction
from models.metadata import CachedDataExtension
from models.repository import ModelRepository, TenantRepository
from models.tenant import BusinessUnit, Tenant, TenantStatus
from models.user import Membership, Role, User

__all__ = [
    "ActorType",
    "ApiToken",
    "AuditEvent",
    "BusinessUnit",
    "CachedDataExtension",
    "Membership",
    "MissingTenantContext",
    "ModelRepository",
    "Outcome",
    "Role",
    "Tenant",
    "TenantContext",
    "TenantRepository",
    "TenantStatus",
    "TokenScope",
    "User",
    "tenant_transaction",
]
