"""Typed SQLAlchemy 2 models: the call log and every record a call can produce."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(sa.TypeDecorator[datetime]):
    """An aware datetime stored in UTC on every database, returned aware in UTC.

    SQLite keeps no offset, so the value is normalised before it is written; reading
    attaches UTC again. Naive datetimes are refused: every timestamp comes from the
    application's clock, which is always aware.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use the application clock")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum_values(enum_class: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_class]


class Base(orm.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UtcDateTime(),
        enum.StrEnum: sa.Enum(
            enum.StrEnum, native_enum=False, length=24, values_callable=_enum_values
        ),
        dict[str, Any]: sa.JSON(),
        list[str]: sa.JSON(),
    }


class CallerKind(enum.StrEnum):
    """What the ``From`` of a call turned out to be."""

    RUSSIAN = "russian"
    FOREIGN = "foreign"
    WITHHELD = "withheld"
    INVALID = "invalid"


class CallOutcome(enum.StrEnum):
    """What came of a call, strongest first (§4 of the product specification)."""

    BOOKED = "booked"
    REQUEST_LEFT = "request_left"
    TRANSFERRED = "transferred"
    CALLBACK_REQUESTED = "callback_requested"
    STATUS_CHECKED = "status_checked"
    INFO = "info"
    ABANDONED = "abandoned"

    @property
    def strength(self) -> int:
        return len(CallOutcome) - list(CallOutcome).index(self)


class AppealStatus(enum.StrEnum):
    REGISTERED = "registered"
    IN_REVIEW = "in_review"
    FORWARDED = "forwarded"
    PRACTICAL_HELP = "practical_help"
    EXPLAINED = "explained"
    CLOSED = "closed"


class AppealChannel(enum.StrEnum):
    PHONE = "phone"
    VISIT = "visit"
    WRITTEN = "written"


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class BookingSource(enum.StrEnum):
    PHONE = "phone"
    STAFF = "staff"


class CallbackStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    GAVE_UP = "gave_up"


class AttemptResult(enum.StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    VOICEMAIL = "voicemail"  # a machine or fax answered: counted like no_answer


class StaffRole(enum.StrEnum):
    """Roles in ascending order of rights."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    def includes(self, other: StaffRole) -> bool:
        order = list(StaffRole)
        return order.index(self) >= order.index(other)


class RecordingKind(enum.StrEnum):
    NAME = "name"
    MESSAGE = "message"


class TranscriptState(enum.StrEnum):
    """How far Twilio's live transcription of one recording got."""

    STARTED = "started"
    STOPPED = "stopped"
    FAILED = "failed"


class RecordingState(enum.StrEnum):
    PENDING = "pending"
    STORED = "stored"
    FAILED = "failed"
    PURGED = "purged"


call_appeal = sa.Table(
    "call_appeal",
    Base.metadata,
    sa.Column("call_id", sa.ForeignKey("call.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "appeal_id", sa.ForeignKey("appeal.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)

call_appointment = sa.Table(
    "call_appointment",
    Base.metadata,
    sa.Column("call_id", sa.ForeignKey("call.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "appointment_id", sa.ForeignKey("appointment.id", ondelete="CASCADE"), primary_key=True
    ),
)


#: The caller's digits last to first ("+73422367992" gives "29976322437"), computed by the
#: database: a search by the last digits of a number becomes a prefix search an index serves.
#: Virtual on SQLite, stored on PostgreSQL (see the migration that adds it).
CALLER_REVERSED = " || ".join(f"substr(caller, {position}, 1)" for position in range(16, 1, -1))


class Call(Base):
    """One Twilio call, inbound or a staff callback, keyed by its CallSid."""

    __tablename__ = "call"
    __table_args__ = (
        sa.Index("ix_call_started", "started_at", "id"),
        sa.Index("ix_call_line_started", "line", "started_at", "id"),
        sa.Index("ix_call_caller_started", "caller", "started_at", "id"),
        sa.Index("ix_call_outcome_started", "outcome", "started_at", "id"),
        sa.Index("ix_call_caller_reversed", "caller_reversed"),
        # Everything the period report counts, so that it reads the index alone.
        sa.Index("ix_call_report", "started_at", "direction", "line", "outcome", "caller"),
        # The calls not ended yet, which the report counts itself (see CallHourTotal).
        sa.Index(
            "ix_call_open",
            "started_at",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        ),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    sid: orm.Mapped[str] = orm.mapped_column(sa.String(34), unique=True)
    direction: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    line: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    caller: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    caller_reversed: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(16), sa.Computed(CALLER_REVERSED)
    )
    caller_raw: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    caller_kind: orm.Mapped[CallerKind]
    started_at: orm.Mapped[datetime]
    answered_at: orm.Mapped[datetime | None]
    ended_at: orm.Mapped[datetime | None]
    duration_s: orm.Mapped[int | None]
    status: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    status_sequence: orm.Mapped[int | None]
    outcome: orm.Mapped[CallOutcome | None]
    callback_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("callback.id", ondelete="SET NULL"), index=True
    )
    anonymised_at: orm.Mapped[datetime | None]

    events: orm.Mapped[list[CallEvent]] = orm.relationship(
        back_populates="call", order_by="CallEvent.id", cascade="all, delete-orphan"
    )
    callback: orm.Mapped[Callback | None] = orm.relationship(back_populates="calls")
    appeals: orm.Mapped[list[Appeal]] = orm.relationship(
        secondary=call_appeal, back_populates="calls", order_by="Appeal.id"
    )
    appointments: orm.Mapped[list[Appointment]] = orm.relationship(
        secondary=call_appointment, back_populates="calls", order_by="Appointment.id"
    )
    recordings: orm.Mapped[list[Recording]] = orm.relationship(
        back_populates="call", order_by="Recording.id"
    )


class CallHourTotal(Base):
    """How many ended inbound calls started in one UTC hour on one line came to one outcome.

    Kept by the database itself: triggers on ``call`` (see the migration that adds this
    table) add a call here when it ends and move it when its line or outcome changes
    later, in the transaction that changes the call, whatever statement changes it. The
    period report adds up these rows for its local days (whole hours in every Russian
    time zone) and counts only the calls not ended yet one by one.
    """

    __tablename__ = "call_hour_total"

    hour: orm.Mapped[datetime] = orm.mapped_column(primary_key=True)
    line: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    #: The call's outcome, "" for none.
    outcome: orm.Mapped[str] = orm.mapped_column(sa.String(24), primary_key=True)
    calls: orm.Mapped[int]


class CallEvent(Base):
    """One step of a call's path through the menu, in the order it happened."""

    __tablename__ = "call_event"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    call_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("call.id", ondelete="CASCADE"), index=True
    )
    at: orm.Mapped[datetime]
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    detail: orm.Mapped[str] = orm.mapped_column(sa.String(200), default="")

    call: orm.Mapped[Call] = orm.relationship(back_populates="events")


class Consent(Base):
    """A caller's consent to the processing of personal data, given by key press."""

    __tablename__ = "consent"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    call_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("call.id", ondelete="CASCADE"), index=True
    )
    purpose: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    prompt_version: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    at: orm.Mapped[datetime]


class Appeal(Base):
    """An appeal (обращение): a citizen's request, registered under a short number."""

    __tablename__ = "appeal"
    __table_args__ = (
        sa.Index("ix_appeal_status_due", "status", "answer_due"),
        sa.Index("ix_appeal_created", "created_at", "id"),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    number: orm.Mapped[str] = orm.mapped_column(sa.String(8), unique=True)
    topic: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    channel: orm.Mapped[AppealChannel]
    status: orm.Mapped[AppealStatus]
    phone: orm.Mapped[str | None] = orm.mapped_column(sa.String(16), index=True)
    name: orm.Mapped[str | None] = orm.mapped_column(sa.String(200))
    address: orm.Mapped[str | None] = orm.mapped_column(sa.String(300))
    transcript: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[datetime]
    register_due: orm.Mapped[date]
    answer_due: orm.Mapped[date]
    extended: orm.Mapped[bool] = orm.mapped_column(default=False)
    # When retention took the applicant's personal data (after the archive's age).
    anonymised_at: orm.Mapped[datetime | None]
    #: «анонимное, ответ не направляется»: answered without a name and address.
    anonymous: orm.Mapped[bool] = orm.mapped_column(default=False, server_default=sa.false())
    #: When and by whom the appeal was registered (by staff, or the phone line: no one).
    registered_at: orm.Mapped[datetime | None]
    registered_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(100))

    history: orm.Mapped[list[AppealStatusChange]] = orm.relationship(
        back_populates="appeal", order_by="AppealStatusChange.id", cascade="all, delete-orphan"
    )
    calls: orm.Mapped[list[Call]] = orm.relationship(
        secondary=call_appeal, back_populates="appeals", order_by="Call.id"
    )
    recordings: orm.Mapped[list[Recording]] = orm.relationship(
        back_populates="appeal", order_by="Recording.id"
    )
    transcripts: orm.Mapped[list[Transcript]] = orm.relationship(
        back_populates="appeal", order_by="Transcript.id"
    )

    @property
    def status_since(self) -> datetime:
        """When the appeal took its present status."""
        return self.history[-1].at if self.history else self.created_at


class AppealStatusChange(Base):
    __tablename__ = "appeal_status_change"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    appeal_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True
    )
    at: orm.Mapped[datetime]
    status: orm.Mapped[AppealStatus]
    note: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")
    # A staff login or API token name; None when the phone line itself made the change.
    actor: orm.Mapped[str | None] = orm.mapped_column(sa.String(100))

    appeal: orm.Mapped[Appeal] = orm.relationship(back_populates="history")


class ReceptionSession(Base):
    """An expert's reception at the office or at an outreach place; slots follow from it.

    One expert's sessions never overlap: :mod:`calllog.schedule` refuses it everywhere and,
    on PostgreSQL, the exclusion constraint ``ex_reception_session_expert_overlap`` (made by
    the migration, btree_gist) too.
    """

    __tablename__ = "reception_session"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    expert: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    place: orm.Mapped[str] = orm.mapped_column(sa.String(300))
    outreach: orm.Mapped[bool] = orm.mapped_column(default=False)
    starts_at: orm.Mapped[datetime] = orm.mapped_column(index=True)
    ends_at: orm.Mapped[datetime]
    slot_minutes: orm.Mapped[int]

    slots: orm.Mapped[list[Slot]] = orm.relationship(
        back_populates="session", order_by="Slot.starts_at", cascade="all, delete-orphan"
    )


class Slot(Base):
    __tablename__ = "slot"
    __table_args__ = (sa.UniqueConstraint("session_id", "starts_at"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    session_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("reception_session.id", ondelete="CASCADE")
    )
    starts_at: orm.Mapped[datetime] = orm.mapped_column(index=True)
    ends_at: orm.Mapped[datetime]

    session: orm.Mapped[ReceptionSession] = orm.relationship(back_populates="slots")
    appointments: orm.Mapped[list[Appointment]] = orm.relationship(back_populates="slot")


ACTIVE_APPOINTMENT = sa.text("status != 'cancelled'")


class Appointment(Base):
    """A booked personal visit. The database allows one active appointment per slot."""

    __tablename__ = "appointment"
    __table_args__ = (
        sa.Index(
            "uq_appointment_active_slot",
            "slot_id",
            unique=True,
            sqlite_where=ACTIVE_APPOINTMENT,
            postgresql_where=ACTIVE_APPOINTMENT,
        ),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    slot_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("slot.id"), index=True)
    code: orm.Mapped[str] = orm.mapped_column(sa.String(6), unique=True)
    phone: orm.Mapped[str | None] = orm.mapped_column(sa.String(16), index=True)
    status: orm.Mapped[AppointmentStatus]
    source: orm.Mapped[BookingSource]
    created_at: orm.Mapped[datetime]
    cancelled_at: orm.Mapped[datetime | None]
    reminder_sent_at: orm.Mapped[datetime | None]
    # When retention or an erasure took the number.
    anonymised_at: orm.Mapped[datetime | None]
    #: The visitor's name as typed by staff (a family may share one phone), and their note.
    visitor_name: orm.Mapped[str | None] = orm.mapped_column(sa.String(200))
    note: orm.Mapped[str | None] = orm.mapped_column(sa.String(500))

    slot: orm.Mapped[Slot] = orm.relationship(back_populates="appointments")
    calls: orm.Mapped[list[Call]] = orm.relationship(
        secondary=call_appointment, back_populates="appointments", order_by="Call.id"
    )
    recordings: orm.Mapped[list[Recording]] = orm.relationship(
        back_populates="appointment", order_by="Recording.id"
    )
    transcripts: orm.Mapped[list[Transcript]] = orm.relationship(
        back_populates="appointment", order_by="Transcript.id"
    )


OPEN_CALLBACK = sa.text("status = 'pending'")


class Callback(Base):
    """A citizen to call back. The database allows one open callback per phone."""

    __tablename__ = "callback"
    __table_args__ = (
        sa.Index(
            "uq_callback_open_phone",
            "phone",
            unique=True,
            sqlite_where=OPEN_CALLBACK,
            postgresql_where=OPEN_CALLBACK,
        ),
        sa.Index("ix_callback_status_due", "status", "due_at"),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    # None once retention or an erasure took the number.
    phone: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    reasons: orm.Mapped[list[str]]
    status: orm.Mapped[CallbackStatus]
    created_at: orm.Mapped[datetime]
    due_at: orm.Mapped[datetime]
    closed_at: orm.Mapped[datetime | None]
    anonymised_at: orm.Mapped[datetime | None]

    calls: orm.Mapped[list[Call]] = orm.relationship(back_populates="callback", order_by="Call.id")
    attempts: orm.Mapped[list[CallbackAttempt]] = orm.relationship(
        back_populates="callback", order_by="CallbackAttempt.id", cascade="all, delete-orphan"
    )


class CallbackAttempt(Base):
    __tablename__ = "callback_attempt"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    callback_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("callback.id", ondelete="CASCADE"), index=True
    )
    at: orm.Mapped[datetime]
    result: orm.Mapped[AttemptResult]
    note: orm.Mapped[str] = orm.mapped_column(sa.String(500), default="")
    actor: orm.Mapped[str | None] = orm.mapped_column(sa.String(100))
    call_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("call.id"))

    callback: orm.Mapped[Callback] = orm.relationship(back_populates="attempts")


class Recording(Base):
    """A Twilio recording, copied into the service's own storage (152-FZ)."""

    __tablename__ = "recording"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    sid: orm.Mapped[str] = orm.mapped_column(sa.String(34), unique=True)
    call_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("call.id"), index=True)
    kind: orm.Mapped[RecordingKind]
    twilio_url: orm.Mapped[str | None] = orm.mapped_column(sa.String(300))
    duration_s: orm.Mapped[int]
    state: orm.Mapped[RecordingState]
    created_at: orm.Mapped[datetime]
    appeal_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("appeal.id"), index=True)
    appointment_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("appointment.id"), index=True
    )
    storage_key: orm.Mapped[str | None] = orm.mapped_column(sa.String(200))
    size_bytes: orm.Mapped[int | None]
    sha256: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    attempts: orm.Mapped[int] = orm.mapped_column(default=0)
    last_error: orm.Mapped[str | None] = orm.mapped_column(sa.String(300))
    next_attempt_at: orm.Mapped[datetime | None]
    deleted_from_twilio_at: orm.Mapped[datetime | None]
    purged_at: orm.Mapped[datetime | None]

    call: orm.Mapped[Call] = orm.relationship(back_populates="recordings")
    appeal: orm.Mapped[Appeal | None] = orm.relationship(back_populates="recordings")
    appointment: orm.Mapped[Appointment | None] = orm.relationship(back_populates="recordings")


class Transcript(Base):
    """What Twilio's live transcription heard while a request or a name was recorded.

    One row per ``<Transcription name>`` of a call, created by whichever comes first: a
    transcription callback, or the recording's appeal or appointment being linked to it.
    ``segments`` keeps each final utterance by its ``SequenceId`` (``{"3": [text,
    confidence]}``), so repeated or reordered callbacks build the same ``text``. The
    machine text stays here; what staff write is the appeal's own ``transcript``.
    """

    __tablename__ = "transcript"
    __table_args__ = (sa.UniqueConstraint("call_id", "name"),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    call_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("call.id", ondelete="CASCADE"))
    name: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    kind: orm.Mapped[RecordingKind]
    sid: orm.Mapped[str | None] = orm.mapped_column(sa.String(34))
    state: orm.Mapped[TranscriptState]
    segments: orm.Mapped[dict[str, Any]] = orm.mapped_column(default=dict)
    text: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    confidence: orm.Mapped[float | None]
    error_code: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    appeal_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("appeal.id"), index=True)
    appointment_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("appointment.id"), index=True
    )
    created_at: orm.Mapped[datetime]
    updated_at: orm.Mapped[datetime]

    appeal: orm.Mapped[Appeal | None] = orm.relationship(back_populates="transcripts")
    appointment: orm.Mapped[Appointment | None] = orm.relationship(back_populates="transcripts")


class AppealSearch(Base):
    """The text an appeal is found by: staff's summary and the transcript, as one document.

    Kept by ``calllog.appeal_search`` whenever either changes. PostgreSQL searches its
    column ``fts_russian`` (``to_tsvector('russian', document)``, stored, GIN-indexed);
    SQLite the FTS5 table ``appeal_fts`` of its Snowball stems. Both are made by the
    migration only, on their own database.
    """

    __tablename__ = "appeal_search"

    appeal_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), primary_key=True
    )
    document: orm.Mapped[str] = orm.mapped_column(sa.Text)


class StaffUser(Base):
    """A staff account; also what Flask-Login keeps as the signed-in user."""

    __tablename__ = "staff_user"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    login: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    password_hash: orm.Mapped[str] = orm.mapped_column(sa.String(256))
    role: orm.Mapped[StaffRole]
    active: orm.Mapped[bool] = orm.mapped_column(default=True)
    full_name: orm.Mapped[str] = orm.mapped_column(sa.String(200), default="")
    phone: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    created_at: orm.Mapped[datetime]
    failed_logins: orm.Mapped[int] = orm.mapped_column(default=0)
    locked_until: orm.Mapped[datetime | None]

    # What Flask-Login asks of a user object.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    def can(self, role: StaffRole) -> bool:
        return self.active and self.role.includes(role)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(100))
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    role: orm.Mapped[StaffRole]
    created_at: orm.Mapped[datetime]
    expires_at: orm.Mapped[datetime | None]
    revoked_at: orm.Mapped[datetime | None]


class AuditEntry(Base):
    """Who viewed, exported or changed which personal data, and when."""

    __tablename__ = "audit_entry"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    at: orm.Mapped[datetime] = orm.mapped_column(index=True)
    actor: orm.Mapped[str] = orm.mapped_column(sa.String(100))
    action: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    subject: orm.Mapped[str] = orm.mapped_column(sa.String(100))
    detail: orm.Mapped[str] = orm.mapped_column(sa.String(300), default="")
