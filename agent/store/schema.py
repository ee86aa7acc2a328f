"""The terminal's SQLite schema, as sqlite-utils migrations (applied in order, once)."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("kassa-terminal")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE products (
            sku TEXT PRIMARY KEY, name TEXT NOT NULL, price_minor INTEGER NOT NULL,
            currency TEXT NOT NULL, category TEXT NOT NULL, barcode TEXT
        );
        CREATE INDEX products_barcode ON products(barcode);
        CREATE TABLE customers (
            customer_id TEXT PRIMARY KEY, card TEXT NOT NULL UNIQUE, doc TEXT NOT NULL,
            hq_balance INTEGER NOT NULL, applied_seq INTEGER NOT NULL
        );
        CREATE TABLE rulesets (
            version INTEGER PRIMARY KEY, document TEXT NOT NULL, received_at TEXT NOT NULL
        );
        -- The terminal's journal: gap-free seq, each row chained to the previous by hash.
        CREATE TABLE journal (
            seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, event_id TEXT NOT NULL UNIQUE,
            at TEXT NOT NULL, body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
        );
        CREATE TABLE sales (
            seq INTEGER PRIMARY KEY REFERENCES journal(seq), sale_id TEXT NOT NULL UNIQUE,
            customer_id TEXT, currency TEXT NOT NULL, total_minor INTEGER NOT NULL,
            paid_money_minor INTEGER NOT NULL, points_earned INTEGER NOT NULL,
            points_redeemed INTEGER NOT NULL
        );
        CREATE TABLE ledger (
            id INTEGER PRIMARY KEY, seq INTEGER NOT NULL REFERENCES journal(seq),
            customer_id TEXT NOT NULL, kind TEXT NOT NULL, points INTEGER NOT NULL,
            expires_at TEXT
        );
        CREATE INDEX ledger_customer ON ledger(customer_id, seq);
        CREATE TABLE usage (key TEXT PRIMARY KEY, count INTEGER NOT NULL);
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY REFERENCES journal(seq), created_at TEXT NOT NULL,
            acked_at TEXT
        );
        CREATE INDEX outbox_pending ON outbox(seq) WHERE acked_at IS NULL;
        CREATE TABLE print_jobs (
            seq INTEGER PRIMARY KEY REFERENCES journal(seq), status TEXT NOT NULL,
            error TEXT, updated_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m002_rules_engine(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE quotas (rule_id TEXT PRIMARY KEY, granted INTEGER NOT NULL);
        CREATE TABLE revocations (rule_id TEXT PRIMARY KEY, received_at TEXT NOT NULL);
        CREATE TABLE gift_cards (
            card TEXT PRIMARY KEY, hq_balance_minor INTEGER NOT NULL,
            currency TEXT NOT NULL, applied_seq INTEGER NOT NULL
        );
        CREATE TABLE gift_card_moves (
            id INTEGER PRIMARY KEY, seq INTEGER NOT NULL REFERENCES journal(seq),
            card TEXT NOT NULL, amount_minor INTEGER NOT NULL
        );
        CREATE INDEX gift_card_moves_card ON gift_card_moves(card, seq);
        CREATE TABLE returns (
            seq INTEGER NOT NULL REFERENCES journal(seq), original_seq INTEGER NOT NULL,
            sku TEXT NOT NULL, qty INTEGER NOT NULL
        );
        CREATE INDEX returns_original ON returns(original_seq);
        CREATE INDEX sales_customer ON sales(customer_id, seq);
        """
    )


@migrations()
def m003_sale_month(db: Database) -> None:
    # Counting a customer's unsynced purchases in a month must not read every sale.
    db.executescript(
        """
        ALTER TABLE sales ADD COLUMN kind TEXT NOT NULL DEFAULT 'sale';
        ALTER TABLE sales ADD COLUMN month TEXT NOT NULL DEFAULT '';
        DROP INDEX sales_customer;
        CREATE INDEX sales_customer ON sales(customer_id, seq, kind, month);
        """
    )


@migrations()
def m004_offline_policy(db: Database) -> None:
    # Points spent before HQ confirmed them are limited per store day; HQ may reserve
    # an allowance of a customer's points for this terminal.
    db.executescript(
        """
        ALTER TABLE sales ADD COLUMN day TEXT NOT NULL DEFAULT '';
        ALTER TABLE customers ADD COLUMN allowance INTEGER NOT NULL DEFAULT 0;
        DROP INDEX sales_customer;
        CREATE INDEX sales_customer ON sales(customer_id, seq, kind, month, day);
        CREATE TABLE clock_skew (
            id INTEGER PRIMARY KEY, local_time TEXT NOT NULL, hq_time TEXT NOT NULL,
            skew_s REAL NOT NULL
        );
        """
    )


@migrations()
def m005_phone_tokens(db: Database) -> None:
    # A phone QR token identifies once: its nonce is kept until it has expired anyway.
    db.executescript(
        """
        CREATE TABLE used_tokens (
            customer_id TEXT NOT NULL, nonce TEXT NOT NULL, used_at TEXT NOT NULL,
            PRIMARY KEY (customer_id, nonce)
        );
        CREATE INDEX used_tokens_at ON used_tokens(used_at);
        """
    )


@migrations()
def m006_staff(db: Database) -> None:
    # Cashiers sign in with a personal PIN, kept as a salted scrypt hash.
    db.executescript(
        """
        CREATE TABLE cashiers (
            cashier_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
            pin_salt TEXT NOT NULL, pin_hash TEXT NOT NULL, language TEXT NOT NULL DEFAULT ''
        );
        """
    )


@migrations()
def m007_phone(db: Database) -> None:
    # A customer can be found by the phone number they give at the till.
    db.executescript(
        """
        ALTER TABLE customers ADD COLUMN phone TEXT NOT NULL DEFAULT '';
        CREATE INDEX customers_phone ON customers(phone) WHERE phone != '';
        """
    )


@migrations()
def m008_gift_card_sale(db: Database) -> None:
    # A product may load a gift card when sold (GIFT50); a sale of such lines only is
    # no purchase (every-Nth-purchase, first purchase, uses per customer).
    db.executescript(
        """
        ALTER TABLE products ADD COLUMN loads_gift_card INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sales ADD COLUMN purchase INTEGER NOT NULL DEFAULT 1;
        """
    )


@migrations()
def m009_scale_labels(db: Database) -> None:
    # Products sold by weight (price per kg) and the item code their scale labels carry
    # (kept without leading zeros: a label's 00042 is item 42).
    db.executescript(
        """
        ALTER TABLE products ADD COLUMN unit TEXT NOT NULL DEFAULT 'piece';
        ALTER TABLE products ADD COLUMN item_code TEXT;
        CREATE INDEX products_item_code ON products(item_code) WHERE item_code IS NOT NULL;
        """
    )


@migrations()
def m010_qualifying_spend(db: Database) -> None:
    # The money of a sale that counts towards the tiers: the terminal adds its unsynced
    # sales' to HQ's figure for every quote (a sum over the sales_customer index range).
    db.executescript("ALTER TABLE sales ADD COLUMN qualifying_minor INTEGER NOT NULL DEFAULT 0;")


@migrations()
def m011_hq_quarantine(db: Database) -> None:
    # Events HQ acknowledged as quarantined (stored, not applied), with HQ's reason: the
    # status page lists them; they are acknowledged, so never sent again.
    db.executescript(
        """
        CREATE TABLE hq_quarantined (
            seq INTEGER PRIMARY KEY REFERENCES journal(seq), reason TEXT NOT NULL,
            noted_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m012_least_customer_data(db: Database) -> None:
    # A terminal keeps the least it needs of a customer (agent.privacy): the greeting
    # (the first name, until HQ sends the one the customer chose), the birthday's month
    # and day, the phone only as a keyed hash. Numbers in clear are dropped (HQ's key
    # has not arrived yet): the snapshot cursor goes back to 0, so the next download
    # brings every customer again with their hash and HQ's keys.
    db.executescript(
        """
        UPDATE customers SET phone = '', doc = json_set(
            json_remove(doc, '$.name', '$.phone'),
            '$.greeting', COALESCE(CASE
                WHEN json_extract(doc, '$.greeting') IS NOT NULL
                THEN json_extract(doc, '$.greeting')
                WHEN instr(trim(json_extract(doc, '$.name')), ' ') = 0
                THEN trim(json_extract(doc, '$.name'))
                ELSE substr(trim(json_extract(doc, '$.name')), 1,
                            instr(trim(json_extract(doc, '$.name')), ' ') - 1) END, ''),
            '$.birthday', CASE
                WHEN json_extract(doc, '$.birthday') GLOB '[0-9][0-9][0-9][0-9]-*'
                THEN '--' || substr(json_extract(doc, '$.birthday'), 6)
                ELSE json_extract(doc, '$.birthday') END
        );
        UPDATE meta SET value = '0' WHERE key = 'snapshot_cursor';
        """
    )


@migrations()
def m013_snapshot_pages(db: Database) -> None:
    # HQ's snapshot comes in pages, each applied in its own transaction with the key of
    # the next (meta snapshot_page), so a till stopped half-way resumes there. A store
    # may hold only the customers seen there lately (HQ's setting, issue 15): each is
    # held until held_until (NULL: for good), then forgotten.
    db.executescript(
        """
        ALTER TABLE customers ADD COLUMN held_until TEXT;
        CREATE INDEX customers_held_until ON customers(held_until)
            WHERE held_until IS NOT NULL;
        """
    )


@migrations()
def m014_pos_writes(db: Database) -> None:
    # The agent API (issue 16): each write a POS made, by its idempotency key, written
    # in the transaction of the sale, return or cancel it made (agent.store.pos_writes),
    # so a key retried after a crash finds the sale or nothing, never half of it.
    db.executescript(
        """
        CREATE TABLE pos_writes (
            pos TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL,
            kind TEXT NOT NULL, receipt_id TEXT NOT NULL,
            seq INTEGER NOT NULL REFERENCES journal(seq), doc TEXT NOT NULL,
            PRIMARY KEY (pos, key)
        );
        CREATE UNIQUE INDEX pos_writes_receipt ON pos_writes(pos, kind, receipt_id);
        """
    )


@migrations()
def m015_foreign_returns_index(db: Database) -> None:
    # This till's returns of another till's sale (Ledger.returns_of), read at every step
    # of such a return: an index on the original sale they name, not a journal scan.
    db.executescript(
        """
        CREATE INDEX journal_foreign_returns ON journal(
            json_extract(body, '$.original_terminal_id'), json_extract(body, '$.original_seq')
        ) WHERE kind='return';
        """
    )


@migrations()
def m017_parked_sales(db: Database) -> None:
    # Sales a cashier parked to serve the next customer (issue 18, agent.parking): kept
    # across a restart until recalled. Not sales yet: never in the journal, the outbox
    # or the sales table, so nothing syncs them; a recalled one is priced afresh.
    db.executescript(
        """
        CREATE TABLE parked_sales (
            parked_id TEXT PRIMARY KEY, at TEXT NOT NULL, cashier TEXT,
            customer TEXT NOT NULL, lines INTEGER NOT NULL, total_minor INTEGER NOT NULL,
            currency TEXT NOT NULL, doc TEXT NOT NULL
        );
        """
    )
