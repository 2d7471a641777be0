"""Every ORM model, imported in one place so that the metadata is complete (Alembic, tests)."""

from app.audit.models import AuditEntry
from app.auth.models import ApiKey, RevokedSecret
from app.capabilities.models import Capability
from app.components.models import Component
from app.db.base import Base
from app.governance.models import GovernanceModel
from app.idempotency.models import IdempotencyRecord
from app.initiatives.models import Initiative, InitiativeTag
from app.kpis.models import Kpi, KpiInitiative, KpiOwner, Measurement
from app.raci.models import RaciCell
from app.reviews.models import Review, ReviewParticipant
from app.roles.models import Role
from app.rules.models import RuleSetting
from app.settings.models import ServiceSettings
from app.waivers.models import Waiver
from app.webhooks.models import (
    AnnouncedKpiStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "AnnouncedKpiStatus",
    "ApiKey",
    "AuditEntry",
    "Base",
    "Capability",
    "Component",
    "GovernanceModel",
    "IdempotencyRecord",
    "Initiative",
    "InitiativeTag",
    "Kpi",
    "KpiInitiative",
    "KpiOwner",
    "Measurement",
    "RaciCell",
    "Review",
    "ReviewParticipant",
    "RevokedSecret",
    "Role",
    "RuleSetting",
    "ServiceSettings",
    "Waiver",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
