-- 001_accounts.sql - the account tree, white-label domains, sender rules, rates
--
-- One tree: the root account "operator" is the platform; its children are
-- top-level customers (resellers, agencies, enterprises), theirs are their
-- clients or departments, without a depth limit. Money columns are integer
-- micro-units (1 unit = 1,000,000); percentages are micro-percent.

CREATE TABLE account (
    id              bigserial PRIMARY KEY,
    handle          text NOT NULL UNIQUE
                    CHECK (handle ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    parent_id       bigint REFERENCES account (id),
    billing         text NOT NULL DEFAULT 'own' CHECK (billing IN ('own', 'parent')),
    status          text NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'suspended', 'closed')),
    credit_limit    bigint NOT NULL DEFAULT 0 CHECK (credit_limit >= 0),
    margin_percent  bigint NOT NULL DEFAULT 0 CHECK (margin_percent BETWEEN 0 AND 1000000000),
    margin_fixed    bigint NOT NULL DEFAULT 0 CHECK (margin_fixed >= 0),
    daily_cap       bigint CHECK (daily_cap > 0),
    monthly_cap     bigint CHECK (monthly_cap > 0),
    charge_on       text NOT NULL DEFAULT 'accept' CHECK (charge_on IN ('accept', 'delivery')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- the root pays for itself; only the root has no parent
    CHECK (parent_id IS NOT NULL OR billing = 'own'),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE UNIQUE INDEX account_one_root ON account ((parent_id IS NULL)) WHERE parent_id IS NULL;
CREATE INDEX account_parent ON account (parent_id);

-- A white-label SMS domain names the universe (the root or a top-level account)
-- that mail to <number>@domain belongs to.
CREATE TABLE domain (
    name        text PRIMARY KEY CHECK (name = lower(name) AND name ~ '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$'),
    account_id  bigint NOT NULL REFERENCES account (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX domain_account ON domain (account_id);

-- Price per segment for destinations starting with prefix, set on account by
-- its parent. On the root these are the carrier costs.
CREATE TABLE rate (
    account_id  bigint NOT NULL REFERENCES account (id),
    prefix      text NOT NULL CHECK (prefix ~ '^[0-9]{1,15}$'),
    price       bigint NOT NULL CHECK (price >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, prefix)
);

-- Who may send as which account: an exact address or a whole domain
-- ("@example.com") within one universe. Settings are validated by
-- src/lib/sender.c before they get here; the checks below are the backstop.
CREATE TABLE sender_rule (
    id                  bigserial PRIMARY KEY,
    universe_id         bigint NOT NULL REFERENCES account (id),
    pattern             text NOT NULL CHECK (pattern = lower(pattern) AND pattern LIKE '%@%'),
    account_id          bigint NOT NULL REFERENCES account (id),
    auth                text NOT NULL DEFAULT 'sasl,dkim,dmarc',
    networks            text NOT NULL DEFAULT '',
    token               text,
    country             text CHECK (country ~ '^[A-Z]{2}$'),
    numbers             text NOT NULL DEFAULT 'international'
                        CHECK (numbers IN ('local', 'international')),
    part_limit          integer NOT NULL DEFAULT 4 CHECK (part_limit BETWEEN 1 AND 255),
    over_limit          text NOT NULL DEFAULT 'truncate' CHECK (over_limit IN ('truncate', 'refuse')),
    content             text NOT NULL DEFAULT 'body' CHECK (content IN ('body', 'subject', 'both')),
    subject_sender_id   boolean NOT NULL DEFAULT false,
    sender_id           text,
    notify              text NOT NULL DEFAULT 'failed' CHECK (notify IN ('all', 'failed', 'none')),
    replies             boolean NOT NULL DEFAULT false,
    history             boolean NOT NULL DEFAULT false,
    translit            boolean NOT NULL DEFAULT true,
    end_marker          text,
    disclaimer          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (universe_id, pattern)
);
CREATE INDEX sender_rule_account ON sender_rule (account_id);
