"""The one schema both backends share (SQLAlchemy Core).

Every tenant-owned table's primary key starts with ``tenant_id`` so that the
data can later be sharded by tenant. Instance-level tables (tenants, users,
tokens, id counters) are the only exceptions. Times are epoch milliseconds UTC
(``BIGINT``); JSON documents are stored as text and encoded with orjson.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

id_counters = Table(
    "id_counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("next_value", BigInteger, nullable=False),
)

tenants = Table(
    "tenants",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("siren", String(9), unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),  # epci type (CC, CA, ...) or "organisation"
    Column("settings", Text, nullable=False),  # JSON: timezone, raw_retention_days, published_kinds
    Column("created_at", BigInteger, nullable=False),
)

communes = Table(
    "communes",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("insee", String(5), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("population", Integer),
    Column("boundary", Text),  # GeoJSON geometry
    Column("minx", Float),
    Column("miny", Float),
    Column("maxx", Float),
    Column("maxy", Float),
)

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", Text),
    Column("is_operator_admin", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", BigInteger, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("role", String(20), nullable=False),  # tenant_admin | agent | viewer
    Column("communes", Text),  # JSON list of INSEE codes, NULL = whole tenant
    Index("ix_memberships_user", "user_id"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex
    Column("kind", String(20), nullable=False),  # session | personal | device
    Column("name", String(200)),
    Column("user_id", BigInteger),
    Column("tenant_id", BigInteger),  # device tokens
    Column("device_id", BigInteger),  # device tokens
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
    Column("last_used_at", BigInteger),
)

assets = Table(
    "assets",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("ref", String(200), nullable=False),  # the tenant's own identifier (GIS, GMAO)
    Column("kind", String(80), nullable=False),
    Column("name", String(300), nullable=False),
    Column("commune_insee", String(5)),
    Column("parent_id", BigInteger),
    Column("geometry", Text),  # GeoJSON geometry, WGS84
    Column("minx", Float),
    Column("miny", Float),
    Column("maxx", Float),
    Column("maxy", Float),
    Column("properties", Text, nullable=False),  # JSON object
    Column("external_ids", Text, nullable=False),  # JSON object: system -> identifier
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("tenant_id", "ref", name="uq_assets_ref"),
    Index("ix_assets_kind", "tenant_id", "kind"),
    Index("ix_assets_commune", "tenant_id", "commune_insee"),
    Index("ix_assets_parent", "tenant_id", "parent_id"),
)

devices = Table(
    "devices",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(300), nullable=False),
    Column("dev_eui", String(16)),
    Column("model", String(120)),
    Column("asset_id", BigInteger),
    Column("properties", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # Connectivity: payload field -> metric mapping, expected reporting interval, health.
    Column("mapping", Text, nullable=False, server_default="{}"),
    Column("expected_interval_s", Integer),
    Column("last_seen", BigInteger),
    Column("battery", Float),  # last known level, % (or V when the device reports volts)
    Column("uplinks", BigInteger, nullable=False, server_default="0"),
    Column("rejected", BigInteger, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("last_error_at", BigInteger),
    UniqueConstraint("tenant_id", "dev_eui", name="uq_devices_dev_eui"),
    Index("ix_devices_asset", "tenant_id", "asset_id"),
)

streams = Table(
    "streams",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("asset_id", BigInteger, nullable=False),
    Column("metric", String(120), nullable=False),
    Column("unit", String(40), nullable=False),
    Column("kind", String(10), nullable=False),  # gauge | counter | state
    Column("device_id", BigInteger),
    Column("last_t", BigInteger),
    Column("last_value", Float),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("tenant_id", "asset_id", "metric", name="uq_streams_asset_metric"),
    Index("ix_streams_device", "tenant_id", "device_id"),
)

observations = Table(
    "observations",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("stream_id", BigInteger, primary_key=True),
    Column("t", BigInteger, primary_key=True),
    Column("value", Float, nullable=False),
    Column("quality", SmallInteger, nullable=False, default=0),
    sqlite_with_rowid=False,
)


def _rollup_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("tenant_id", BigInteger, primary_key=True),
        Column("stream_id", BigInteger, primary_key=True),
        Column("bucket", BigInteger, primary_key=True),  # bucket start, epoch ms UTC
        Column("count", Integer, nullable=False),
        Column("min", Float, nullable=False),
        Column("max", Float, nullable=False),
        Column("sum", Float, nullable=False),
        Column("first", Float, nullable=False),
        Column("last", Float, nullable=False),
        sqlite_with_rowid=False,
    )


rollups_hourly = _rollup_table("rollups_hourly")
rollups_daily = _rollup_table("rollups_daily")  # days in the tenant's local time zone

audit_log = Table(
    "audit_log",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),  # 0 = instance-level event
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("at", BigInteger, nullable=False),
    Column("user_id", BigInteger),
    Column("action", String(40), nullable=False),  # create | update | delete | import | ingest ...
    Column("entity", String(40), nullable=False),
    Column("entity_id", String(200)),
    Column("details", Text, nullable=False),
    Index("ix_audit_at", "tenant_id", "at"),
)

integrations = Table(
    "integrations",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(20), nullable=False),  # chirpstack | tts
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),  # sha256 hex
    # Downlink API of the network server: base URL, API key, application id...
    Column("config", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_used_at", BigInteger),
)

# Message digests already processed, so that a re-delivered uplink (MQTT duplicate,
# network-server retry) is recognised and never stored twice. Pruned after a week.
uplink_receipts = Table(
    "uplink_receipts",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("device_id", BigInteger),
    Column("received_at", BigInteger, nullable=False),
    Index("ix_uplink_receipts_at", "received_at"),
)

commands = Table(
    "commands",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("asset_id", BigInteger),
    Column("device_id", BigInteger),
    Column("action", String(120), nullable=False),
    Column("params", Text, nullable=False),
    # scheduled | requested | sent | acknowledged | failed | expired | cancelled
    Column("status", String(20), nullable=False),
    Column("channel", String(20)),  # mqtt | chirpstack | tts
    Column("requested_by", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("not_before", BigInteger),  # scheduled time
    Column("recurrence", String(200)),  # e.g. "daily 21:30" — the next one is created on send
    Column("expires_at", BigInteger),
    Column("sent_at", BigInteger),
    Column("acknowledged_at", BigInteger),
    Column("finished_at", BigInteger),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False, server_default="3"),
    Column("next_attempt_at", BigInteger),
    Column("correlation", String(200)),  # network-server queue id / fCnt
    Column("error", Text),
    Index("ix_commands_due", "status", "next_attempt_at"),
    Index("ix_commands_asset", "tenant_id", "asset_id"),
)

INSTANCE_TENANT_ID = 0
