-- 008_intake_speed.sql - accepting a mail costs PostgreSQL less
--
-- Measured per mail (pg_stat_statements, track = all) through sg_intake of
-- 003: two nested PL/pgSQL calls, eleven statements inside them, a loop per
-- level of the account path, and an EXCEPTION block, which makes every
-- call a subtransaction (its own XID for the writes, pg_subtrans) although
-- refusals are rare. sg_intake_sms does the same work with the same
-- guarantees in four statements and no subtransaction:
--
--   1. replay: the key exists, nothing changes;
--   2. a read-only look at what the reservation will find (inactive
--      account, caps, funds), as of the statement's snapshot. It can only
--      refuse what committed state already refuses (uncommitted
--      reservations of others are not seen, so it never sees less money
--      than there is), and it refuses before anything is written;
--   3. the immutable rows (transfer, reservation, levels, SMS) in one
--      statement: no lock anyone else waits for;
--   4. last, the rows every concurrent reservation for the payer waits
--      for: spend rows from the sender up to the payer, day before month
--      (one INSERT ... ON CONFLICT in that order), then the payer's ledger
--      row, its funds checked in the UPDATE that takes its lock.
--
-- A refusal found in step 4 (another reservation took the money between
-- the snapshot and the lock) raises SG102/SG103/SG104 with the account in
-- DETAIL, and since the caller runs this as a statement of its own, outside
-- BEGIN ... COMMIT, the error rolls back the whole statement: nothing is
-- left behind, as before, without paying a subtransaction on every mail.
-- Locks are taken in the order of 002 (spend rows upward, day before month,
-- then the payer's ledger row), so nothing new can deadlock.

-- Nothing looks reservations up by sender and day (reports go through
-- reservation_level and transfer), but every reservation wrote an entry.
DROP INDEX IF EXISTS reservation_sender;

CREATE FUNCTION sg_intake_sms(p_key text, p_payer bigint, p_destination text, p_prefix text,
                              p_segments integer, p_accounts bigint[], p_prices bigint[],
                              p_universe bigint, p_rule bigint, p_mail_from text,
                              p_sender_id text, p_body text, p_encoding text,
                              p_truncated boolean, p_notify text, p_message_id text,
                              p_queue_id text, p_client text, p_validity integer,
                              OUT status text, OUT sms_id bigint, OUT detail text)
LANGUAGE plpgsql AS $$
DECLARE
    v_pidx  integer := array_position(p_accounts, p_payer);
    v_day   date := (now() AT TIME ZONE 'UTC')::date;
    v_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    v_tid   bigint;
BEGIN
    -- 1. the same mail again
    SELECT t.id, s.id INTO v_tid, sms_id
      FROM transfer t LEFT JOIN sms s ON s.reservation_id = t.id WHERE t.key = p_key;
    IF v_tid IS NOT NULL THEN
        status := 'replay';
        RETURN;
    END IF;
    IF v_pidx IS NULL OR array_length(p_accounts, 1) <> array_length(p_prices, 1) THEN
        RAISE EXCEPTION 'sg_intake_sms: payer % not on the path', p_payer USING ERRCODE = 'SG001';
    END IF;

    -- 2. refusals that committed state already shows, in sg_reserve's order
    SELECT x.s, x.d INTO status, detail FROM (
        SELECT 0 AS k, u.ord, 'inactive' AS s, c.handle AS d
          FROM unnest(p_accounts) WITH ORDINALITY AS u (acc, ord) JOIN account c ON c.id = u.acc
         WHERE c.status <> 'active'
        UNION ALL
        SELECT 1, 2 * u.ord + (p.period = 'm')::integer,
               CASE p.period WHEN 'd' THEN 'daily_cap' ELSE 'monthly_cap' END, c.handle
          FROM unnest(p_accounts[1:v_pidx], p_prices[1:v_pidx]) WITH ORDINALITY AS u (acc, price, ord)
          JOIN account c ON c.id = u.acc
         CROSS JOIN (VALUES ('d'::char(1)), ('m'::char(1))) AS p (period)
          LEFT JOIN spend sp ON sp.account_id = c.id AND sp.period = p.period
                            AND sp.period_start = CASE p.period WHEN 'd' THEN v_day ELSE v_month END
         WHERE coalesce(sp.amount, 0) + u.price
               > CASE p.period WHEN 'd' THEN c.daily_cap ELSE c.monthly_cap END
        UNION ALL
        SELECT 2, 0, 'insufficient', c.handle
          FROM account c JOIN ledger_account l ON l.account_id = c.id
         WHERE c.id = p_payer
           AND l.credits_posted - l.debits_posted - l.debits_pending + c.credit_limit
               < p_prices[v_pidx]
    ) x ORDER BY x.k, x.ord LIMIT 1;
    IF status IS NOT NULL THEN
        RETURN;
    END IF;

    -- 3. the immutable rows and the SMS: nobody waits for these
    WITH t AS (
        INSERT INTO transfer (key, kind, debit_id, credit_id, amount)
        VALUES (p_key, 'reserve', (SELECT id FROM ledger_account WHERE account_id = p_payer),
                (SELECT id FROM ledger_account WHERE system = 'clearing'), p_prices[v_pidx])
        ON CONFLICT (key) DO NOTHING
        RETURNING id),
    r AS (
        INSERT INTO reservation (transfer_id, sender_id, payer_id, payer_depth, destination,
                                 prefix, segments, day)
        SELECT t.id, p_accounts[1], p_payer, v_pidx - 1, p_destination, p_prefix, p_segments, v_day
          FROM t),
    lv AS (
        INSERT INTO reservation_level (transfer_id, depth, account_id, price)
        SELECT t.id, u.ord - 1, u.acc, u.price
          FROM t, unnest(p_accounts, p_prices) WITH ORDINALITY AS u (acc, price, ord)),
    s AS (
        INSERT INTO sms (key, reservation_id, account_id, universe_id, rule_id, mail_from,
                         destination, sender_id, body, encoding, parts, truncated, paid, charged,
                         notify, message_id, queue_id, client_address, expires_at)
        SELECT p_key, t.id, p_accounts[1], p_universe, p_rule, p_mail_from, p_destination,
               p_sender_id, p_body, p_encoding, p_segments, p_truncated, p_prices[v_pidx],
               p_prices[1], p_notify, nullif(p_message_id, ''), nullif(p_queue_id, ''),
               nullif(p_client, ''), now() + make_interval(secs => p_validity)
          FROM t
        RETURNING id)
    SELECT t.id, s.id INTO v_tid, sms_id FROM t, s;
    IF v_tid IS NULL THEN  -- the same key committed meanwhile
        SELECT t.id, s.id INTO v_tid, sms_id
          FROM transfer t LEFT JOIN sms s ON s.reservation_id = t.id WHERE t.key = p_key;
        status := 'replay';
        RETURN;
    END IF;

    -- 4. last: the rows other reservations for this payer wait for
    WITH sp AS (
        INSERT INTO spend AS s (account_id, period, period_start, amount)
        SELECT u.acc, p.period, CASE p.period WHEN 'd' THEN v_day ELSE v_month END, u.price
          FROM unnest(p_accounts[1:v_pidx], p_prices[1:v_pidx]) WITH ORDINALITY AS u (acc, price, ord)
         CROSS JOIN (VALUES ('d'::char(1)), ('m'::char(1))) AS p (period)
         ORDER BY u.ord, p.period
        ON CONFLICT (account_id, period, period_start)
            DO UPDATE SET amount = s.amount + excluded.amount
        RETURNING s.account_id, s.period, s.amount)
    SELECT CASE sp.period WHEN 'd' THEN 'daily_cap' ELSE 'monthly_cap' END, c.handle
      INTO status, detail
      FROM sp JOIN account c ON c.id = sp.account_id
     WHERE sp.amount > CASE sp.period WHEN 'd' THEN c.daily_cap ELSE c.monthly_cap END
     ORDER BY array_position(p_accounts, sp.account_id), sp.period
     LIMIT 1;
    IF status IS NOT NULL THEN
        RAISE EXCEPTION '%', status
            USING ERRCODE = CASE status WHEN 'daily_cap' THEN 'SG103' ELSE 'SG104' END,
                  DETAIL = detail;
    END IF;
    -- the check and the change in one UPDATE, as sg_reserve_take does
    UPDATE ledger_account l SET debits_pending = l.debits_pending + p_prices[v_pidx]
      FROM account c
     WHERE l.account_id = p_payer AND c.id = p_payer
       AND l.credits_posted - l.debits_posted - l.debits_pending + c.credit_limit >= p_prices[v_pidx];
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insufficient' USING ERRCODE = 'SG102',
            DETAIL = (SELECT handle FROM account WHERE id = p_payer);
    END IF;
    status := 'ok';
END $$;
