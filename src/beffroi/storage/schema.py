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
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
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
    Column("kind", String(20), nullable=False),  # session | personal | device | reset | invite
    Column("name", String(200)),
    Column("user_id", BigInteger),
    Column("tenant_id", BigInteger),  # device tokens; invite tokens: the inviting tenant
    Column("device_id", BigInteger),  # device tokens
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
    Column("last_used_at", BigInteger),
    Index("ix_tokens_user", "user_id"),
)

# A tenant's offer of a role to an account; the membership exists once the person accepts.
invitations = Table(
    "invitations",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, nullable=False),
    Column("role", String(20), nullable=False),
    Column("communes", Text),  # JSON list of INSEE codes, NULL = whole tenant
    Column("invited_by", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    UniqueConstraint("tenant_id", "user_id", name="uq_invitations_user"),
    Index("ix_invitations_user", "user_id"),
)

# Failed log-in and reset attempts per account (e-mail hash) and per client address.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("blocked_until", BigInteger),
    Column("audited_until", BigInteger),  # the block already written to the audit log
    Column("last_attempt_at", BigInteger, nullable=False),
    Index("ix_login_throttle_last", "last_attempt_at"),
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
    Column("last_gateway", String(100)),  # LoRaWAN gateway that heard the last uplink best
    # MQTT broker account (dev-{tenant_id}-{id}): Mosquitto's $7$ hash of its password.
    Column("mqtt_password_hash", String(200)),
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
    # Events received, and those refused (unknown device, undecodable...) with the last reason.
    Column("events", BigInteger, nullable=False, server_default="0"),
    Column("rejected", BigInteger, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("last_error_at", BigInteger),
)

# Message digests already processed, so that a re-delivered uplink (MQTT duplicate,
# network-server retry) is recognised and never stored twice. Pruned after a week
# (core.retention).
uplink_receipts = Table(
    "uplink_receipts",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("device_id", BigInteger),
    Column("received_at", BigInteger, nullable=False),
    Index("ix_uplink_receipts_at", "received_at"),
)

# MQTT messages that hit an unexpected error in Beffroi, kept to be replayed
# (connectivity/quarantine.py). tenant_id 0: the topic names no known territory.
mqtt_quarantine = Table(
    "mqtt_quarantine",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("device_id", BigInteger),
    Column("received_at", BigInteger, nullable=False),
    Column("topic", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="1"),
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

# -- alerting -----------------------------------------------------------------------------------
# A rule watches one stream, or every stream of a metric (optionally of one asset kind and/or
# commune). Kinds: threshold | rate_of_change | no_data | state_change; ``params`` is JSON.
alert_rules = Table(
    "alert_rules",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("stream_id", BigInteger),
    Column("metric", String(120)),
    Column("asset_kind", String(120)),
    Column("commune_insee", String(5)),
    Column("params", Text, nullable=False),
    Column("severity", String(10), nullable=False),  # info | warning | critical
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("renotify_after_s", Integer, nullable=False, server_default="3600"),
    Column("created_by", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_alert_rules_stream", "tenant_id", "stream_id"),
    Index("ix_alert_rules_metric", "tenant_id", "metric"),
)

# Where each (rule, stream) pair stands between observations.
alert_rule_states = Table(
    "alert_rule_states",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("rule_id", BigInteger, primary_key=True),
    Column("stream_id", BigInteger, primary_key=True),
    Column("pending_since", BigInteger),  # condition holding since (minimum duration)
    Column("active", Boolean, nullable=False, server_default=false()),  # condition met
    Column("recent", Text),  # JSON [[t, v], ...] kept for rate-of-change windows
    Index("ix_alert_rule_states_stream", "tenant_id", "stream_id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    # rule:{rule_id}:asset:{asset_id} | detector:{key}:asset:{asset_id}:{subject}
    Column("key", String(300), nullable=False),
    Column("rule_id", BigInteger),
    Column("detector", String(120)),
    Column("asset_id", BigInteger),
    Column("stream_id", BigInteger),
    Column("commune_insee", String(5)),
    Column("domain", String(60)),  # domain of the asset's kind, for subscriptions
    Column("severity", String(10), nullable=False),
    Column("status", String(20), nullable=False),  # open | acknowledged | resolved
    Column("title", String(300), nullable=False),  # French
    Column("details", Text, nullable=False),  # JSON: the data that triggered it
    Column("opened_at", BigInteger, nullable=False),
    Column("last_triggered_at", BigInteger, nullable=False),
    Column("trigger_count", Integer, nullable=False, server_default="1"),
    Column("acknowledged_at", BigInteger),
    Column("acknowledged_by", BigInteger),
    Column("resolved_at", BigInteger),
    Column("resolved_by", BigInteger),  # None with resolved_at: resolved automatically
    Column("last_notified_at", BigInteger),  # set by the notifications package
    Column("escalated_at", BigInteger),
    Index("ix_alerts_key", "tenant_id", "key", "status"),
    Index("ix_alerts_status", "tenant_id", "status", "severity"),
)

# The full history of each alert: opened, triggered, reopened, acknowledged, commented,
# resolved, notified, escalated.
alert_events = Table(
    "alert_events",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("alert_id", BigInteger, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("user_id", BigInteger),
    Column("comment", Text),
    Column("details", Text, nullable=False, server_default="{}"),
    Index("ix_alert_events_alert", "tenant_id", "alert_id"),
)

# When each person last saw the tenant's home page, with the last alert event shown then:
# what is "new since my last visit" (core/visits.py).
home_visits = Table(
    "home_visits",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("seen_at", BigInteger, nullable=False),
    Column("alert_event_id", BigInteger, nullable=False, server_default="0"),
)

# Last run of each domain detector for each tenant.
detector_runs = Table(
    "detector_runs",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("detector", String(120), primary_key=True),
    Column("last_run_at", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),  # ok | failed
    Column("findings", Integer, nullable=False, server_default="0"),
    Column("error", Text),
)

# Instance-level leases: a periodic job runs in one process at a time, once per period.
job_leases = Table(
    "job_leases",
    metadata,
    Column("name", String(120), primary_key=True),
    Column("holder", String(120)),
    Column("expires_at", BigInteger, nullable=False, server_default="0"),
    Column("last_run_at", BigInteger),
    # Where a job that reads a log (e.g. alert events to notify) stopped; ids allocated
    # from one counter are committed in their order (the counter row is locked until commit).
    Column("cursor", BigInteger),
)

# -- notifications ---------------------------------------------------------------------------
# A person's wish to be told: by domain, commune and minimum severity (None = all).
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, nullable=False),
    Column("domains", Text),  # JSON list of domain keys, or NULL for all
    Column("communes", Text),  # JSON list of INSEE codes, or NULL for all
    Column("min_severity", String(10), nullable=False),
    Column("channel", String(10), nullable=False, server_default="email"),
    Column("digest", Boolean, nullable=False, server_default=false()),  # non-critical: daily
    Column("created_at", BigInteger, nullable=False),
    Index("ix_subscriptions_user", "tenant_id", "user_id"),
)

# Outgoing webhooks of a tenant, signed with HMAC-SHA256 of their secret.
webhooks = Table(
    "webhooks",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("url", String(1000), nullable=False),
    Column("secret", String(200), nullable=False),
    Column("domains", Text),
    Column("min_severity", String(10), nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("created_at", BigInteger, nullable=False),
)

# The weekly on-call rota (astreinte): who answers for a week starting on a Monday.
oncall_weeks = Table(
    "oncall_weeks",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("week_start", String(10), primary_key=True),  # local date of the Monday
    Column("primary_user_id", BigInteger, nullable=False),
    Column("secondary_user_id", BigInteger),  # escalation
)

# Every notification: queued, then sent or failed (outbox, with retries).
notifications = Table(
    "notifications",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("alert_id", BigInteger),  # None for a digest
    Column("user_id", BigInteger),
    Column("webhook_id", BigInteger),
    Column("channel", String(10), nullable=False),  # email | webhook
    Column("target", String(1000), nullable=False),  # address or URL
    Column("kind", String(20), nullable=False),  # alert | oncall | escalation | digest | test
    Column("subject", String(300)),
    Column("body", Text, nullable=False),
    Column("status", String(10), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("sent_at", BigInteger),
    Column("error", Text),
    Index("ix_notifications_due", "status", "next_attempt_at"),
    Index("ix_notifications_alert", "tenant_id", "alert_id"),
)

# -- risks: population alerts and the crisis log (main courante) ------------------------------
# A tenant's own wording of a risk's alert template (the built-in one otherwise).
risk_alert_templates = Table(
    "risk_alert_templates",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("risk", String(20), primary_key=True),  # crue | canicule | feu_de_foret | autre
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# A tenant's alert channels: e-mail list, SMS gateway (signed webhook) and its recipients.
risk_alert_channels = Table(
    "risk_alert_channels",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("emails", Text, nullable=False, server_default="[]"),  # [{address, communes}]
    Column("phones", Text, nullable=False, server_default="[]"),  # [{number, communes}]
    Column("sms_url", String(1000)),
    Column("sms_secret", String(200)),
    Column("updated_at", BigInteger, nullable=False),
)

# An alert sent to the population, and one row per recipient of each channel.
population_alerts = Table(
    "population_alerts",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("risk", String(20), nullable=False),
    Column("level", String(10), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("communes", Text, nullable=False),  # JSON list of INSEE codes reached
    Column("zones", Text, nullable=False, server_default="[]"),  # JSON list of asset ids
    Column("channels", Text, nullable=False),  # JSON list
    Column("banner_until", BigInteger),
    Column("created_by", BigInteger),
    Column("created_at", BigInteger, nullable=False),
)

population_alert_deliveries = Table(
    "population_alert_deliveries",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("alert_id", BigInteger, nullable=False),
    Column("channel", String(10), nullable=False),  # email | sms | banner
    Column("recipient", String(1000), nullable=False),
    Column("status", String(10), nullable=False),  # queued | sent | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", BigInteger),
    Column("sent_at", BigInteger),
    Column("error", Text),
    Index("ix_population_alert_deliveries_alert", "tenant_id", "alert_id"),
    Index("ix_population_alert_deliveries_due", "status", "next_attempt_at"),
)

# The main courante: one log per event, entries appended, never changed.
crisis_logs = Table(
    "crisis_logs",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("title", String(200), nullable=False),
    Column("risk", String(20), nullable=False),
    Column("status", String(10), nullable=False),  # open | closed
    Column("opened_at", BigInteger, nullable=False),
    Column("opened_by", BigInteger),
    Column("closed_at", BigInteger),
    Column("closed_by", BigInteger),
)

crisis_log_entries = Table(
    "crisis_log_entries",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("log_id", BigInteger, nullable=False),
    Column("at", BigInteger, nullable=False),  # when it happened
    Column("recorded_at", BigInteger, nullable=False),
    Column("author_id", BigInteger),
    Column("kind", String(20), nullable=False),  # observation | decision | action | appel
    Column("text", Text, nullable=False),
    Column("corrects_id", BigInteger),
    Column("links", Text, nullable=False, server_default="{}"),  # {alerts, assets, calls}
    Index("ix_crisis_log_entries_log", "tenant_id", "log_id"),
)

# -- risks: daily weather forecasts of a weather station (risks.weather_station), imported;
# one row per station and local day, replaced by a newer forecast of the same day. Heat needs
# tmin/tmax, forest-fire weather the four noon values: each group may be empty. ----------------
weather_forecasts = Table(
    "weather_forecasts",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("asset_id", BigInteger, primary_key=True),
    Column("day", String(10), primary_key=True),  # local day, YYYY-MM-DD
    Column("tmin_c", Float),
    Column("tmax_c", Float),
    Column("temp_c", Float),  # noon temperature
    Column("rh_pct", Float),  # noon relative humidity
    Column("wind_kmh", Float),  # noon wind speed
    Column("rain_mm", Float),  # rain of the 24 hours to noon
    Column("issued_at", BigInteger, nullable=False),  # when the forecast was issued
    Column("source", String(200)),
    Column("imported_by", BigInteger),
    Column("imported_at", BigInteger, nullable=False),
)

INSTANCE_TENANT_ID = 0

# -- vulnerable-persons register (risks domain, art. L121-6-1 CASF): personal data, kept in
# its own tables, read only by the members granted the register (register_referents) --------
register_referents = Table(
    "register_referents",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("granted_by", BigInteger),
    Column("granted_at", BigInteger, nullable=False),
)

register_persons = Table(
    "register_persons",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("commune_insee", String(5), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("birth_date", String(10)),  # YYYY-MM-DD
    Column("category", String(20), nullable=False),  # senior | unfit_60 | disabled
    Column("address", String(300), nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("phones", Text, nullable=False),  # JSON list of strings
    Column("needs", Text, nullable=False),  # JSON list of need keys
    Column("lives_alone", Boolean, nullable=False),
    Column("doctor", String(200)),
    Column("notes", Text),
    Column("enrolled_by", String(20), nullable=False),  # self | third_party
    Column("requester", String(200)),  # the third party's name and relation
    Column("request_date", String(10), nullable=False),  # date of the written request
    Column("consent_version", String(20), nullable=False),
    Column("recorded_by", BigInteger),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("confirmed_at", BigInteger, nullable=False),  # enrolment or last re-confirmation
    Index("ix_register_persons_confirmed", "tenant_id", "confirmed_at"),
)

register_contacts = Table(
    "register_contacts",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("person_id", BigInteger, primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("relation", String(20), nullable=False),  # family | neighbour | other
    Column("phone", String(30), nullable=False),
)

register_calls = Table(
    "register_calls",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("person_id", BigInteger, nullable=False),
    Column("state", String(20), nullable=False),  # called | reached | visit_needed | visited
    Column("at", BigInteger, nullable=False),
    Column("by_user_id", BigInteger),
    Column("note", String(1000)),
    Index("ix_register_calls_person", "tenant_id", "person_id", "at"),
)
