"""Imports every model so that Alembic and SQLAlchemy relationships see them all."""

from .auth.models import AccountToken, RecoveryCode, User, user_building  # noqa: F401
from .boards.models import Decision, Event, Notice, Registration  # noqa: F401
from .core.mail import OutboxMail  # noqa: F401
from .core.models import AuditLog  # noqa: F401
from .guide.models import GuideEntry, GuideRevision, GuideSearchDoc  # noqa: F401
from .intake.models import ApiKey, CannedReply, RequestAttachment, RequestDepartment, RequestEvent, ServiceRequest, TrackingCounter  # noqa: F401
from .intake.models import StashedUpload  # noqa: F401
from .org.models import Building, Council, CouncilMember, Department, Street  # noqa: F401
from .wall.models import Claim, Project, Resource, Wish, WishReport, WishSupport  # noqa: F401
