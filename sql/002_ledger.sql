-- 002_ledger.sql - double-entry, two-phase ledger (after TigerBeetle)
--
-- Every movement of money is an immutable row in "transfer", from one ledger
-- account (debit) to another (credit). Customer accounts carry running
-- counters so that a reservation can check the payer's funds under one row
-- lock; the three system accounts (funding, carrier, clearing) carry none:
-- every SMS touches clearing and carrier, and a counter there would be a row
-- that every transaction in the platform has to lock. Their balances are the
-- sums of their transfers, which is what `smsgatectl ledger check` computes.

CREATE TABLE ledger_account (
    id              bigserial PRIMARY KEY,
    account_id      bigint UNIQUE REFERENCES account (id),
    system          text UNIQUE CHECK (system IN ('funding', 'carrier', 'clearing')),
    debits_posted   bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_posted  bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    debits_pending  bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    CHECK ((account_id IS NULL) <> (system IS NULL)),
    CHECK (system IS NULL OR (debits_posted = 0 AND credits_posted = 0 AND debits_pending = 0))
);
INSERT INTO ledger_account (system) VALUES ('funding'), ('carrier'), ('clearing');

CREATE FUNCTION sg_account_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_account (account_id) VALUES (NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER account_ledger AFTER INSERT ON account
    FOR EACH ROW EXECUTE FUNCTION sg_account_ledger();

-- kinds: topup (funding -> account), allocate (account -> account, parent and
-- child), reserve (payer -> clearing, pending), post and void (resolve one
-- reserve exactly once; void moves nothing), margin (clearing -> ancestor),
-- carrier (clearing -> carrier cost).
CREATE TABLE transfer (
    id              bigserial PRIMARY KEY,
    key             text NOT NULL UNIQUE,
    kind            text NOT NULL
                    CHECK (kind IN ('topup', 'allocate', 'reserve', 'post', 'void', 'margin', 'carrier')),
    debit_id        bigint NOT NULL REFERENCES ledger_account (id),
    credit_id       bigint NOT NULL REFERENCES ledger_account (id),
    amount          bigint NOT NULL CHECK (amount > 0 OR (amount = 0 AND kind IN ('reserve', 'post', 'void'))),
    reservation_id  bigint REFERENCES transfer (id),
    ref             text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (debit_id <> credit_id),
    CHECK ((reservation_id IS NOT NULL) = (kind IN ('post', 'void', 'margin', 'carrier')))
);
-- each pending transfer resolves exactly once
CREATE UNIQUE INDEX transfer_resolves_once ON transfer (reservation_id) WHERE kind IN ('post', 'void');
CREATE INDEX transfer_reservation ON transfer (reservation_id) WHERE reservation_id IS NOT NULL;
CREATE INDEX transfer_debit ON transfer (debit_id, id);
CREATE INDEX transfer_credit ON transfer (credit_id, id);

CREATE FUNCTION sg_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is immutable: corrections are new rows', TG_TABLE_NAME
        USING ERRCODE = 'SG002';
END $$;
CREATE TRIGGER transfer_immutable BEFORE UPDATE OR DELETE ON transfer
    FOR EACH ROW EXECUTE FUNCTION sg_immutable();

-- What a reservation was for, and the price of every account from the sender
-- (depth 0) up to the root, frozen when it was made: the payer is charged what
-- it was quoted, and the margins paid at post are computed from these rows.
CREATE TABLE reservation (
    transfer_id     bigint PRIMARY KEY REFERENCES transfer (id),
    sender_id       bigint NOT NULL REFERENCES account (id),
    payer_id        bigint NOT NULL REFERENCES account (id),
    payer_depth     integer NOT NULL CHECK (payer_depth >= 0),
    destination     text NOT NULL CHECK (destination ~ '^[0-9]{1,15}$'),
    prefix          text NOT NULL,  -- the carrier-cost prefix that priced it, for reports
    segments        integer NOT NULL CHECK (segments > 0),
    day             date NOT NULL
);
CREATE INDEX reservation_sender ON reservation (sender_id, day);
CREATE TABLE reservation_level (
    transfer_id     bigint NOT NULL REFERENCES reservation (transfer_id),
    depth           integer NOT NULL CHECK (depth >= 0),
    account_id      bigint NOT NULL REFERENCES account (id),
    price           bigint NOT NULL CHECK (price >= 0),
    PRIMARY KEY (transfer_id, depth)
);
CREATE INDEX reservation_level_account ON reservation_level (account_id);
CREATE TRIGGER reservation_immutable BEFORE UPDATE OR DELETE ON reservation
    FOR EACH ROW EXECUTE FUNCTION sg_immutable();
CREATE TRIGGER reservation_level_immutable BEFORE UPDATE OR DELETE ON reservation_level
    FOR EACH ROW EXECUTE FUNCTION sg_immutable();

-- Spend against daily and monthly caps (UTC days), for the accounts from the
-- sender up to the payer. Reservations add, voids subtract.
CREATE TABLE spend (
    account_id      bigint NOT NULL REFERENCES account (id),
    period          char(1) NOT NULL CHECK (period IN ('d', 'm')),
    period_start    date NOT NULL,
    amount          bigint NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (account_id, period, period_start)
);

CREATE FUNCTION sg_ledger_id(p_system text) RETURNS bigint LANGUAGE sql STABLE AS
    $$ SELECT id FROM ledger_account WHERE system = p_system $$;

-- A reservation is made in two steps, so that the rows every concurrent
-- reservation for the same payer must wait for are locked last and held
-- for as short a time as possible (up to the commit):
--   sg_reserve_rows  the immutable rows (transfer, reservation, levels): no
--                    lock anyone else waits for;
--   sg_reserve_take  spend against caps and the payer's funds, each checked
--                    in the UPDATE that takes the row's lock.
-- A refusal raises SG1xx (message: the status, detail: the account), which
-- the callers below turn back into a status inside a subtransaction, so a
-- refusal leaves nothing behind and does not abort the caller's transaction.
-- Locks are taken from the sender upward (spend rows), then the payer's
-- ledger row; voids take them in the same order; so they cannot deadlock.

CREATE FUNCTION sg_reserve_rows(p_key text, p_payer bigint, p_destination text, p_prefix text,
                                p_segments integer, p_accounts bigint[], p_prices bigint[],
                                OUT transfer_id bigint, OUT replay boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_pidx  integer := array_position(p_accounts, p_payer);
    v_day   date := (now() AT TIME ZONE 'UTC')::date;
    v_who   text;
BEGIN
    SELECT t.id INTO transfer_id FROM transfer t WHERE t.key = p_key;
    replay := FOUND;
    IF replay THEN
        RETURN;
    END IF;
    IF v_pidx IS NULL OR array_length(p_accounts, 1) <> array_length(p_prices, 1) THEN
        RAISE EXCEPTION 'sg_reserve: payer % not on the path', p_payer USING ERRCODE = 'SG001';
    END IF;
    SELECT c.handle INTO v_who FROM account c
     WHERE c.id = ANY (p_accounts) AND c.status <> 'active' LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'inactive' USING ERRCODE = 'SG101', DETAIL = v_who;
    END IF;
    INSERT INTO transfer (key, kind, debit_id, credit_id, amount)
    VALUES (p_key, 'reserve', (SELECT id FROM ledger_account WHERE account_id = p_payer),
            sg_ledger_id('clearing'), p_prices[v_pidx])
    ON CONFLICT (key) DO NOTHING
    RETURNING id INTO transfer_id;
    IF transfer_id IS NULL THEN  -- the same key committed meanwhile
        SELECT t.id INTO transfer_id FROM transfer t WHERE t.key = p_key;
        replay := true;
        RETURN;
    END IF;
    INSERT INTO reservation (transfer_id, sender_id, payer_id, payer_depth, destination, prefix,
                             segments, day)
    VALUES (transfer_id, p_accounts[1], p_payer, v_pidx - 1, p_destination, p_prefix, p_segments,
            v_day);
    INSERT INTO reservation_level (transfer_id, depth, account_id, price)
    SELECT transfer_id, u.ord - 1, u.acc, p_prices[u.ord]
      FROM unnest(p_accounts) WITH ORDINALITY AS u (acc, ord);
END $$;

CREATE FUNCTION sg_reserve_take(p_payer bigint, p_accounts bigint[], p_prices bigint[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_pidx  integer := array_position(p_accounts, p_payer);
    v_day   date := (now() AT TIME ZONE 'UTC')::date;
    v_month date := date_trunc('month', (now() AT TIME ZONE 'UTC'))::date;
    a       record;
    v_spent bigint;
BEGIN
    FOR i IN 1 .. v_pidx LOOP
        SELECT c.handle, c.daily_cap, c.monthly_cap INTO a FROM account c WHERE c.id = p_accounts[i];
        INSERT INTO spend AS s (account_id, period, period_start, amount)
        VALUES (p_accounts[i], 'd', v_day, p_prices[i])
        ON CONFLICT (account_id, period, period_start) DO UPDATE SET amount = s.amount + excluded.amount
        RETURNING s.amount INTO v_spent;
        IF a.daily_cap IS NOT NULL AND v_spent > a.daily_cap THEN
            RAISE EXCEPTION 'daily_cap' USING ERRCODE = 'SG103', DETAIL = a.handle;
        END IF;
        INSERT INTO spend AS s (account_id, period, period_start, amount)
        VALUES (p_accounts[i], 'm', v_month, p_prices[i])
        ON CONFLICT (account_id, period, period_start) DO UPDATE SET amount = s.amount + excluded.amount
        RETURNING s.amount INTO v_spent;
        IF a.monthly_cap IS NOT NULL AND v_spent > a.monthly_cap THEN
            RAISE EXCEPTION 'monthly_cap' USING ERRCODE = 'SG104', DETAIL = a.handle;
        END IF;
    END LOOP;
    -- the check and the change in one UPDATE: a concurrent reservation that
    -- got the row first is seen here, re-evaluated after its commit
    UPDATE ledger_account l SET debits_pending = l.debits_pending + p_prices[v_pidx]
      FROM account c
     WHERE l.account_id = p_payer AND c.id = p_payer
       AND l.credits_posted - l.debits_posted - l.debits_pending + c.credit_limit >= p_prices[v_pidx];
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insufficient' USING ERRCODE = 'SG102',
            DETAIL = (SELECT handle FROM account WHERE id = p_payer);
    END IF;
END $$;

-- sg_reserve - the pending transfer for one charge, with every check made in
-- the same transaction. p_accounts and p_prices run from the sender to the
-- root; p_prices are totals for all segments. Returns a status:
-- ok, replay (the key exists: nothing changed), inactive, insufficient,
-- daily_cap, monthly_cap; detail names the account concerned.
CREATE FUNCTION sg_reserve(p_key text, p_payer bigint, p_destination text, p_prefix text,
                           p_segments integer, p_accounts bigint[], p_prices bigint[],
                           OUT status text, OUT transfer_id bigint, OUT detail text)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    SELECT * INTO r FROM sg_reserve_rows(p_key, p_payer, p_destination, p_prefix, p_segments,
                                         p_accounts, p_prices);
    transfer_id := r.transfer_id;
    IF r.replay THEN
        status := 'replay';
        RETURN;
    END IF;
    PERFORM sg_reserve_take(p_payer, p_accounts, p_prices);
    status := 'ok';
EXCEPTION WHEN SQLSTATE 'SG101' OR SQLSTATE 'SG102' OR SQLSTATE 'SG103' OR SQLSTATE 'SG104' THEN
    GET STACKED DIAGNOSTICS status = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    transfer_id := NULL;
END $$;

-- sg_resolve - post or void a reservation, exactly once. Returns ok, replay
-- (already resolved the same way), posted or voided (already resolved the
-- other way: nothing changed), unknown.
CREATE FUNCTION sg_resolve(p_reservation bigint, p_kind text, OUT status text)
LANGUAGE plpgsql AS $$
DECLARE
    r       transfer%ROWTYPE;
    v_id    bigint;
    v_res   reservation%ROWTYPE;
    lv      record;
    v_below bigint;
BEGIN
    SELECT * INTO r FROM transfer WHERE id = p_reservation AND kind = 'reserve';
    IF NOT FOUND THEN
        status := 'unknown';
        RETURN;
    END IF;
    INSERT INTO transfer (key, kind, debit_id, credit_id, amount, reservation_id)
    VALUES (p_kind || ':' || r.key, p_kind, r.debit_id, r.credit_id, r.amount, r.id)
    ON CONFLICT DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        SELECT CASE WHEN t.kind = p_kind THEN 'replay' WHEN t.kind = 'post' THEN 'posted' ELSE 'voided' END
          INTO status FROM transfer t WHERE t.reservation_id = r.id AND t.kind IN ('post', 'void');
        RETURN;
    END IF;
    SELECT * INTO v_res FROM reservation WHERE transfer_id = r.id;
    IF p_kind = 'void' THEN
        -- spend rows first, from the sender up and day before month, then the
        -- ledger row: the order reservations lock them in, whatever the plan
        PERFORM 1 FROM spend s JOIN reservation_level l ON s.account_id = l.account_id
         WHERE l.transfer_id = r.id AND l.depth <= v_res.payer_depth
           AND ((s.period = 'd' AND s.period_start = v_res.day)
             OR (s.period = 'm' AND s.period_start = date_trunc('month', v_res.day)::date))
         ORDER BY l.depth, s.period = 'm'
           FOR UPDATE OF s;
        UPDATE spend s SET amount = s.amount - l.price
          FROM reservation_level l
         WHERE l.transfer_id = r.id AND l.depth <= v_res.payer_depth AND s.account_id = l.account_id
           AND ((s.period = 'd' AND s.period_start = v_res.day)
             OR (s.period = 'm' AND s.period_start = date_trunc('month', v_res.day)::date));
        UPDATE ledger_account SET debits_pending = debits_pending - r.amount WHERE id = r.debit_id;
        status := 'ok';
        RETURN;
    END IF;
    UPDATE ledger_account SET debits_pending = debits_pending - r.amount,
                              debits_posted = debits_posted + r.amount
     WHERE id = r.debit_id;
    -- Margins, in the same transaction as the post: each ancestor above the
    -- payer earns the price of the account below it less its own price; the
    -- root's own price is the carrier cost. Rows are locked upward from the
    -- payer, the same order as every other writer, so posts cannot deadlock.
    v_below := r.amount;
    FOR lv IN SELECT l.depth, l.price, l.account_id, la.id AS ledger
                FROM reservation_level l JOIN ledger_account la ON la.account_id = l.account_id
               WHERE l.transfer_id = r.id AND l.depth > v_res.payer_depth
               ORDER BY l.depth LOOP
        IF v_below - lv.price > 0 THEN
            INSERT INTO transfer (key, kind, debit_id, credit_id, amount, reservation_id)
            VALUES ('margin:' || r.key || ':' || lv.depth, 'margin', r.credit_id, lv.ledger,
                    v_below - lv.price, r.id);
            UPDATE ledger_account SET credits_posted = credits_posted + (v_below - lv.price)
             WHERE id = lv.ledger;
        END IF;
        v_below := lv.price;
    END LOOP;
    IF v_below > 0 THEN
        INSERT INTO transfer (key, kind, debit_id, credit_id, amount, reservation_id)
        VALUES ('carrier:' || r.key, 'carrier', r.credit_id, sg_ledger_id('carrier'), v_below, r.id);
    END IF;
    status := 'ok';
END $$;

-- sg_move - a posted transfer to p_to from p_from (NULL: the funding
-- account, a top-up). With p_check, the giver's available funds must cover
-- it. Returns ok, replay (same key, same transfer), conflict (same key,
-- another transfer), insufficient.
CREATE FUNCTION sg_move(p_key text, p_kind text, p_from bigint, p_to bigint,
                        p_amount bigint, p_ref text, p_check boolean,
                        OUT status text, OUT transfer_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    t       transfer%ROWTYPE;
    v_debit bigint;
    v_credit bigint;
    v_avail bigint;
    v_row   record;
BEGIN
    v_debit := coalesce((SELECT id FROM ledger_account WHERE account_id = p_from),
                        sg_ledger_id('funding'));
    v_credit := (SELECT id FROM ledger_account WHERE account_id = p_to);
    SELECT * INTO t FROM transfer WHERE key = p_key;
    IF FOUND THEN
        transfer_id := t.id;
        status := CASE WHEN t.debit_id = v_debit AND t.credit_id = v_credit AND t.amount = p_amount
                       THEN 'replay' ELSE 'conflict' END;
        RETURN;
    END IF;
    -- Lock both customer rows, the child before its parent: posts lock upward
    -- from the payer, so taking them in the same order cannot deadlock.
    FOR v_row IN SELECT a.id FROM account a WHERE a.id IN (p_from, p_to)
                  ORDER BY a.parent_id IS NOT NULL AND a.parent_id IN (p_from, p_to) DESC LOOP
        PERFORM 1 FROM ledger_account WHERE account_id = v_row.id FOR UPDATE;
    END LOOP;
    IF p_check THEN
        SELECT l.credits_posted - l.debits_posted - l.debits_pending + c.credit_limit INTO v_avail
          FROM ledger_account l JOIN account c ON c.id = l.account_id WHERE l.id = v_debit;
        IF v_avail < p_amount THEN
            status := 'insufficient';
            RETURN;
        END IF;
    END IF;
    INSERT INTO transfer (key, kind, debit_id, credit_id, amount, ref)
    VALUES (p_key, p_kind, v_debit, v_credit, p_amount, p_ref)
    ON CONFLICT (key) DO NOTHING
    RETURNING id INTO transfer_id;
    IF transfer_id IS NULL THEN
        SELECT id INTO transfer_id FROM transfer WHERE key = p_key;
        status := 'replay';
        RETURN;
    END IF;
    UPDATE ledger_account SET debits_posted = debits_posted + p_amount
     WHERE id = v_debit AND system IS NULL;
    UPDATE ledger_account SET credits_posted = credits_posted + p_amount WHERE id = v_credit;
    status := 'ok';
END $$;

-- the root of the tree: the platform operator, whose rates are carrier costs
INSERT INTO account (handle, billing) VALUES ('operator', 'own');
