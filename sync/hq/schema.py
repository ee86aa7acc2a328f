"""The reference HQ's tables, as sqlite-utils migrations applied when HQ opens its file."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from sync.hq.auth import stored_form

migrations = Migrations("kassa-hq")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE hq_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE terminals (
            terminal_id TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL,
            acked_seq INTEGER NOT NULL DEFAULT 0, last_hash TEXT NOT NULL
        );
        CREATE TABLE hq_events (
            terminal_id TEXT NOT NULL REFERENCES terminals(terminal_id), seq INTEGER NOT NULL,
            kind TEXT NOT NULL, event_id TEXT NOT NULL, body TEXT NOT NULL, hash TEXT NOT NULL,
            received_at TEXT NOT NULL, customer_id TEXT, points_earned INTEGER NOT NULL,
            points_redeemed INTEGER NOT NULL, total_minor INTEGER NOT NULL,
            PRIMARY KEY (terminal_id, seq)
        );
        CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY, terminal_id TEXT NOT NULL, seq INTEGER NOT NULL,
            reason TEXT NOT NULL, received_at TEXT NOT NULL
        );
        CREATE TABLE hq_customers (
            customer_id TEXT PRIMARY KEY, card TEXT NOT NULL UNIQUE, doc TEXT NOT NULL,
            balance INTEGER NOT NULL, rev INTEGER NOT NULL
        );
        CREATE TABLE hq_products (sku TEXT PRIMARY KEY, doc TEXT NOT NULL, rev INTEGER NOT NULL);
        CREATE TABLE hq_rulesets (version INTEGER PRIMARY KEY, document TEXT NOT NULL);
        """
    )


@migrations()
def m002_rules_engine(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE hq_quotas (
            terminal_id TEXT NOT NULL, rule_id TEXT NOT NULL, granted INTEGER NOT NULL,
            PRIMARY KEY (terminal_id, rule_id)
        );
        CREATE TABLE hq_revocations (rule_id TEXT PRIMARY KEY, rev INTEGER NOT NULL);
        CREATE TABLE hq_gift_cards (
            card TEXT PRIMARY KEY, balance_minor INTEGER NOT NULL, currency TEXT NOT NULL,
            rev INTEGER NOT NULL
        );
        """
    )


@migrations()
def m003_offline_policy(db: Database) -> None:
    # Points of a customer's balance reserved for one terminal to spend offline; what
    # is left of it shrinks as that terminal's redemptions arrive.
    db.executescript(
        """
        CREATE TABLE hq_allowances (
            terminal_id TEXT NOT NULL REFERENCES terminals(terminal_id),
            customer_id TEXT NOT NULL REFERENCES hq_customers(customer_id),
            points INTEGER NOT NULL CHECK (points >= 0),
            PRIMARY KEY (terminal_id, customer_id)
        );
        """
    )


@migrations()
def m004_fraud_signals(db: Database) -> None:
    # What the fraud signals of `kassa hq report` need (sync.hq.fraud): the store each
    # terminal stands in, HQ's staff with their own loyalty card, and indexes on what
    # the stored bodies say (the time of each event, its gift card), so the report
    # reads a window of events, one customer's or one card's, never the whole table.
    db.executescript(
        """
        ALTER TABLE terminals ADD COLUMN store_id TEXT NOT NULL DEFAULT 'main';
        CREATE TABLE hq_staff (
            staff_id TEXT PRIMARY KEY, name TEXT NOT NULL, card TEXT
        );
        CREATE INDEX hq_staff_card ON hq_staff(card);
        CREATE INDEX hq_events_kind_at ON hq_events(kind, json_extract(body, '$.at'));
        CREATE INDEX hq_events_customer ON hq_events(customer_id, kind);
        CREATE INDEX hq_events_gift_card ON hq_events(json_extract(body, '$.gift_card.card'));
        CREATE INDEX hq_customers_negative ON hq_customers(balance) WHERE balance < 0;
        CREATE INDEX hq_gift_cards_negative ON hq_gift_cards(balance_minor)
            WHERE balance_minor < 0;
        """
    )


@migrations()
def m005_expiry_moves(db: Database) -> None:
    # Points that expired, a row per customer and lot (sync.hq.expiry): with the points
    # earned and redeemed of hq_events they are the whole history of a balance.
    # expired_at: when the points expired (UTC ISO); written_at: when HQ found them so.
    db.executescript(
        """
        CREATE TABLE hq_expiry_moves (
            id INTEGER PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES hq_customers(customer_id),
            points INTEGER NOT NULL CHECK (points > 0),
            expired_at TEXT NOT NULL, written_at TEXT NOT NULL
        );
        CREATE INDEX hq_expiry_moves_at ON hq_expiry_moves(expired_at);
        CREATE INDEX hq_expiry_moves_customer ON hq_expiry_moves(customer_id);
        """
    )


@migrations()
def m006_quarantine(db: Database) -> None:
    # Events whose hash chain holds but whose body HQ refuses: kept, acknowledged, not
    # applied, and listed for HQ's staff with the reason. A (terminal_id, seq) is in
    # hq_events or here, never both. A conflict is flagged once per seq.
    db.executescript(
        """
        CREATE TABLE hq_quarantine (
            terminal_id TEXT NOT NULL REFERENCES terminals(terminal_id), seq INTEGER NOT NULL,
            kind TEXT NOT NULL, event_id TEXT NOT NULL, body TEXT NOT NULL, hash TEXT NOT NULL,
            received_at TEXT NOT NULL, reason TEXT NOT NULL,
            PRIMARY KEY (terminal_id, seq)
        );
        CREATE INDEX conflicts_seq ON conflicts(terminal_id, seq);
        """
    )


@migrations()
def m007_salted_secrets(db: Database) -> None:
    # Terminal secrets were kept as plain sha256 digests: each becomes
    # scrypt(that digest, a salt of its own) (sync.hq.auth), without knowing the secret.
    db.execute("ALTER TABLE terminals ADD COLUMN secret_hash TEXT NOT NULL DEFAULT ''")
    rows = db.execute("SELECT terminal_id, secret_sha256 FROM terminals").fetchall()
    for tid, digest in rows:
        db.execute(
            "UPDATE terminals SET secret_hash=? WHERE terminal_id=?", (stored_form(digest), tid)
        )
    db.execute("ALTER TABLE terminals DROP COLUMN secret_sha256")


@migrations()
def m008_held_points(db: Database) -> None:
    # Points earned on a card HQ did not know when the sale arrived (sold to as a card
    # alone at a till offline: issue 15): held for the card, by the sale that earned
    # them, until the card is enrolled; then credited, and the row goes.
    db.executescript(
        """
        CREATE TABLE hq_held_points (
            terminal_id TEXT NOT NULL, seq INTEGER NOT NULL, card TEXT NOT NULL,
            points INTEGER NOT NULL, received_at TEXT NOT NULL,
            PRIMARY KEY (terminal_id, seq)
        );
        CREATE INDEX hq_held_points_card ON hq_held_points(card);
        """
    )


@migrations()
def m009_returns_by_sale(db: Database) -> None:
    # The returns of a sale, from any till of the chain (sync.hq.sales): found by the
    # sale's seq, then its till.
    db.execute(
        "CREATE INDEX hq_events_returns ON hq_events(json_extract(body, '$.original_seq')) "
        "WHERE kind='return'"
    )


@migrations()
def m010_pages(db: Database) -> None:
    # A terminal's snapshot comes in pages, each a range of the change counter (rev, then
    # the row's key: sync.hq.pages): an index on (rev, key) of every table a snapshot
    # pages through, so a page, and a poll with nothing changed, reads only its rows.
    # Which customers a store's tills hold (sync.hq.holding): all (no row), or those seen
    # at the store in a window of days plus those HQ pushes; epoch counts the changes of
    # the setting (a till that held under another starts again from nothing).
    db.executescript(
        """
        CREATE INDEX hq_customers_rev ON hq_customers(rev, customer_id);
        CREATE INDEX hq_products_rev ON hq_products(rev, sku);
        CREATE INDEX hq_gift_cards_rev ON hq_gift_cards(rev, card);
        CREATE TABLE hq_store_holding (
            store_id TEXT PRIMARY KEY, mode TEXT NOT NULL CHECK (mode IN ('all', 'seen')),
            window_days INTEGER NOT NULL CHECK (window_days > 0), epoch INTEGER NOT NULL
        );
        CREATE TABLE hq_store_customers (
            store_id TEXT NOT NULL, customer_id TEXT NOT NULL, seen_at TEXT NOT NULL,
            pushed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (store_id, customer_id)
        );
        """
    )


@migrations()
def m011_tenders(db: Database) -> None:
    # How each sale was paid (agent.tendering): a row a tender, in the sale's order
    # (n); a sale from a till before tenders has none. The report sums them by kind.
    db.executescript(
        """
        CREATE TABLE hq_tenders (
            terminal_id TEXT NOT NULL, seq INTEGER NOT NULL, n INTEGER NOT NULL,
            kind TEXT NOT NULL, label TEXT, amount_minor INTEGER NOT NULL,
            tendered_minor INTEGER,
            PRIMARY KEY (terminal_id, seq, n)
        );
        """
    )


# HQ on PostgreSQL (sync.hq.pg): the same tables, its own list of migrations, applied in
# order and recorded in kassa_migrations. PostgreSQL support began with the SQLite
# schema of m009, so its first migration is that whole schema; every later change is
# a migration in each list (tests/sync/test_hq_backends.py compares the two schemas).
# Money and points are BIGINT. The keys are chosen for Citus (README: "HQ on
# PostgreSQL"): what is a customer's (hq_customers, hq_allowances, hq_expiry_moves)
# has customer_id in every primary and unique key but the card's; what a terminal
# sent (hq_events, hq_quarantine, hq_held_points, conflicts) has terminal_id.
PG_MIGRATIONS: list[tuple[str, str]] = [
    (
        "m009_baseline",
        """
        CREATE TABLE hq_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE terminals (
            terminal_id TEXT PRIMARY KEY, acked_seq BIGINT NOT NULL DEFAULT 0,
            last_hash TEXT NOT NULL, store_id TEXT NOT NULL DEFAULT 'main',
            secret_hash TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE hq_events (
            terminal_id TEXT NOT NULL REFERENCES terminals(terminal_id), seq BIGINT NOT NULL,
            kind TEXT NOT NULL, event_id TEXT NOT NULL, body TEXT NOT NULL, hash TEXT NOT NULL,
            received_at TEXT NOT NULL, customer_id TEXT, points_earned BIGINT NOT NULL,
            points_redeemed BIGINT NOT NULL, total_minor BIGINT NOT NULL,
            PRIMARY KEY (terminal_id, seq)
        );
        CREATE TABLE conflicts (
            terminal_id TEXT NOT NULL, seq BIGINT NOT NULL,
            id BIGINT GENERATED BY DEFAULT AS IDENTITY,
            reason TEXT NOT NULL, received_at TEXT NOT NULL,
            PRIMARY KEY (terminal_id, id)
        );
        CREATE TABLE hq_customers (
            customer_id TEXT PRIMARY KEY, card TEXT NOT NULL UNIQUE, doc TEXT NOT NULL,
            balance BIGINT NOT NULL, rev BIGINT NOT NULL
        );
        CREATE TABLE hq_products (sku TEXT PRIMARY KEY, doc TEXT NOT NULL, rev BIGINT NOT NULL);
        CREATE TABLE hq_rulesets (version BIGINT PRIMARY KEY, document TEXT NOT NULL);
        CREATE TABLE hq_quotas (
            terminal_id TEXT NOT NULL, rule_id TEXT NOT NULL, granted BIGINT NOT NULL,
            PRIMARY KEY (terminal_id, rule_id)
        );
        CREATE TABLE hq_revocations (rule_id TEXT PRIMARY KEY, rev BIGINT NOT NULL);
        CREATE TABLE hq_gift_cards (
            card TEXT PRIMARY KEY, balance_minor BIGINT NOT NULL, currency TEXT NOT NULL,
            rev BIGINT NOT NULL
        );
        CREATE TABLE hq_allowances (
            terminal_id TEXT NOT NULL REFERENCES terminals(terminal_id),
            customer_id TEXT NOT NULL REFERENCES hq_customers(customer_id),
            points BIGINT NOT NULL CHECK (points >= 0),
            PRIMARY KEY (customer_id, terminal_id)
        );
        CREATE TABLE hq_staff (staff_id TEXT PRIMARY KEY, name TEXT NOT NULL, card TEXT);
        CREATE TABLE hq_expiry_moves (
            customer_id TEXT NOT NULL REFERENCES hq_customers(customer_id),
            id BIGINT GENERATED BY DEFAULT AS IDENTITY,
            points BIGINT NOT NULL CHECK (points > 0),
            expired_at TEXT NOT NULL, written_at TEXT NOT NULL,
            PRIMARY KEY (customer_id, id)
        );
        CREATE TABLE hq_quarantine (
            terminal_id TEXT NOT NULL REFERENCES terminals(terminal_id), seq BIGINT NOT NULL,
            kind TEXT NOT NULL, event_id TEXT NOT NULL, body TEXT NOT NULL, hash TEXT NOT NULL,
            received_at TEXT NOT NULL, reason TEXT NOT NULL,
            PRIMARY KEY (terminal_id, seq)
        );
        CREATE TABLE hq_held_points (
            terminal_id TEXT NOT NULL, seq BIGINT NOT NULL, card TEXT NOT NULL,
            points BIGINT NOT NULL, received_at TEXT NOT NULL,
            PRIMARY KEY (terminal_id, seq)
        );
        CREATE INDEX hq_staff_card ON hq_staff(card);
        CREATE INDEX hq_events_kind_at ON hq_events(kind, (body::jsonb #>> '{at}'));
        CREATE INDEX hq_events_customer ON hq_events(customer_id, kind);
        CREATE INDEX hq_events_gift_card ON hq_events((body::jsonb #>> '{gift_card,card}'));
        CREATE INDEX hq_events_returns ON hq_events(((body::jsonb #>> '{original_seq}')::bigint))
            WHERE kind='return';
        CREATE INDEX hq_customers_negative ON hq_customers(balance) WHERE balance < 0;
        CREATE INDEX hq_gift_cards_negative ON hq_gift_cards(balance_minor)
            WHERE balance_minor < 0;
        CREATE INDEX hq_expiry_moves_at ON hq_expiry_moves(expired_at);
        CREATE INDEX conflicts_seq ON conflicts(terminal_id, seq);
        CREATE INDEX hq_held_points_card ON hq_held_points(card);
        """,
    ),
    (
        "m010_pages",
        """
        CREATE INDEX hq_customers_rev ON hq_customers(rev, customer_id);
        CREATE INDEX hq_products_rev ON hq_products(rev, sku);
        CREATE INDEX hq_gift_cards_rev ON hq_gift_cards(rev, card);
        CREATE TABLE hq_store_holding (
            store_id TEXT PRIMARY KEY, mode TEXT NOT NULL CHECK (mode IN ('all', 'seen')),
            window_days BIGINT NOT NULL CHECK (window_days > 0), epoch BIGINT NOT NULL
        );
        CREATE TABLE hq_store_customers (
            store_id TEXT NOT NULL, customer_id TEXT NOT NULL, seen_at TEXT NOT NULL,
            pushed BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (store_id, customer_id)
        );
        """,
    ),
    (
        "m011_tenders",
        """
        CREATE TABLE hq_tenders (
            terminal_id TEXT NOT NULL, seq BIGINT NOT NULL, n BIGINT NOT NULL,
            kind TEXT NOT NULL, label TEXT, amount_minor BIGINT NOT NULL,
            tendered_minor BIGINT,
            PRIMARY KEY (terminal_id, seq, n)
        );
        """,
    ),
]
