-- 006_settle_batch.sql - a dispatcher's whole batch settled in one transaction
--
-- One commit and one PL/pgSQL call per SMS made settlement the dispatcher's
-- limit. A batch in one transaction must not deadlock with intake, receipts,
-- transfers or another dispatcher. So every row the batch will write is
-- locked up front in the one order every other writer follows: SMS rows (by
-- id), then spend rows, then ledger rows, each deepest account first (intake
-- locks spend rows from the sender upward, then the payer's ledger row;
-- posts lock ledger rows from the payer upward; transfers lock the child
-- before its parent). Then the whole batch is written set-based, a statement
-- per kind of row. Any error undoes the batch; the dispatcher then settles
-- each SMS alone with sg_sms_settle, so one SMS's trouble holds back no other.

-- An SMS accepted by a carrier whose reservation waits for its delivery
-- receipt (the universe charges on delivery); see 007_receipts.sql.
ALTER TABLE sms ADD COLUMN awaiting_receipt boolean NOT NULL DEFAULT false;

-- sg_account_depth - how far below the root an account is (the root is 0)
CREATE FUNCTION sg_account_depth(p_account bigint) RETURNS integer
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up (id, parent_id, n) AS (
        SELECT id, parent_id, 0 FROM account WHERE id = p_account
        UNION ALL
        SELECT a.id, a.parent_id, up.n + 1 FROM account a JOIN up ON a.id = up.parent_id)
    SELECT max(n) FROM up
$$;

-- sg_settle_rows - the accounts whose rows settling these SMS (all being
-- sent, locked by the caller) with these outcomes writes: spend rows
-- (voids give back what the sender and each account up to the payer spent
-- that day and month) and ledger rows (the payer's; on a post, every
-- ancestor's margin)
CREATE FUNCTION sg_settle_rows(p_ids bigint[], p_outcomes text[])
RETURNS TABLE (account_id bigint, depth integer, day date, spend boolean, ledger boolean)
LANGUAGE sql STABLE AS $$
    WITH w AS (
        SELECT DISTINCT l.account_id, r.day,
               i.outcome IN ('rejected', 'expired') AND l.depth <= r.payer_depth AS spend,
               l.depth = r.payer_depth
                 OR (i.outcome = 'accepted' AND u.charge_on = 'accept'
                     AND l.depth > r.payer_depth) AS ledger
          FROM unnest(p_ids, p_outcomes) AS i (id, outcome)
          JOIN sms s ON s.id = i.id
          JOIN account u ON u.id = s.universe_id
          JOIN reservation r ON r.transfer_id = s.reservation_id
          JOIN reservation_level l ON l.transfer_id = r.transfer_id
         WHERE i.outcome IN ('accepted', 'rejected', 'expired')
           AND NOT EXISTS (SELECT 1 FROM transfer t WHERE t.reservation_id = r.transfer_id
                            AND t.kind IN ('post', 'void'))),
    d AS (SELECT a.id, sg_account_depth(a.id) AS depth
            FROM (SELECT DISTINCT w.account_id AS id FROM w) a)
    SELECT w.account_id, d.depth, w.day, w.spend, w.ledger FROM w JOIN d ON d.id = w.account_id
$$;

-- sg_sms_settle_batch - p is a JSON array of {"id", "outcome", "carrier",
-- "ref", "detail", "wait"}; outcome is accepted, rejected or expired (as
-- sg_sms_settle does one), deferred (back to the queue, due in "wait"
-- seconds) or throttled (the same without counting the attempt: the
-- carrier's rate limit, not a failure). Returns one row per SMS; recorded is
-- false when the SMS was no longer being sent (its lease ran out and another
-- dispatcher has it). Set-based: a statement per kind of row, whatever the
-- batch's size. Any error undoes the whole batch (the caller then settles
-- each SMS alone with sg_sms_settle, so one SMS's trouble never holds back
-- another's); error is kept in the result for that interface's sake.
CREATE FUNCTION sg_sms_settle_batch(p jsonb)
RETURNS TABLE (sms_id bigint, recorded boolean, error text)
LANGUAGE plpgsql AS $$
DECLARE
    v_id   bigint[];
    v_out  text[];
    v_carrier bigint := sg_ledger_id('carrier');
    v_mine bigint[];
    -- of the SMS still being sent (v_mine), in id order:
    v_mid  bigint[];
    v_mout text[];
    v_mcar text[];
    v_mref text[];
    v_mdet text[];
    v_mwait integer[];
    -- the rows their settlement writes (sg_settle_rows), read once:
    r_acc  bigint[];
    r_dep  integer[];
    r_day  date[];
    r_sp   boolean[];
    r_le   boolean[];
    v_tid  bigint[];   -- reservations to resolve ...
    v_kind text[];     -- ... post or void
BEGIN
    SELECT array_agg(j.id ORDER BY j.id), array_agg(j.outcome ORDER BY j.id) INTO v_id, v_out
      FROM jsonb_to_recordset(p) AS j (id bigint, outcome text);
    -- every row written is locked first, in the platform's one order
    SELECT array_agg(s.id ORDER BY s.id) INTO v_mine
      FROM (SELECT x.id FROM unnest(v_id) AS u (id) JOIN sms x ON x.id = u.id
             WHERE x.status = 'sending' ORDER BY x.id FOR UPDATE OF x) s;
    -- arrays, not a table: the planner then looks each SMS up by its key,
    -- whatever it believes of the statuses
    SELECT array_agg(j.id ORDER BY j.id), array_agg(j.outcome ORDER BY j.id),
           array_agg(j.carrier ORDER BY j.id), array_agg(j.ref ORDER BY j.id),
           array_agg(j.detail ORDER BY j.id), array_agg(coalesce(j.wait, 0) ORDER BY j.id)
      INTO v_mid, v_mout, v_mcar, v_mref, v_mdet, v_mwait
      FROM jsonb_to_recordset(p) AS j (id bigint, outcome text, carrier text, ref text,
                                       detail text, wait integer)
     WHERE j.id = ANY (v_mine);
    IF v_mid IS NULL THEN
        RETURN QUERY SELECT u.id, false, NULL::text FROM unnest(v_id) AS u (id);
        RETURN;
    END IF;
    SELECT array_agg(v.account_id), array_agg(v.depth), array_agg(v.day), array_agg(v.spend),
           array_agg(v.ledger)
      INTO r_acc, r_dep, r_day, r_sp, r_le
      FROM sg_settle_rows(v_mid, v_mout) v;
    PERFORM 1 FROM spend sp
      JOIN (SELECT DISTINCT v.account_id, v.depth, v.day
              FROM unnest(r_acc, r_dep, r_day, r_sp) AS v (account_id, depth, day, spend)
             WHERE v.spend) v
        ON sp.account_id = v.account_id
       AND ((sp.period = 'd' AND sp.period_start = v.day)
         OR (sp.period = 'm' AND sp.period_start = date_trunc('month', v.day)::date))
     ORDER BY v.depth DESC, sp.account_id, sp.period, sp.period_start
       FOR UPDATE OF sp;
    PERFORM 1 FROM ledger_account la
      JOIN (SELECT DISTINCT v.account_id, v.depth
              FROM unnest(r_acc, r_dep, r_le) AS v (account_id, depth, ledger)
             WHERE v.ledger) v
        ON la.account_id = v.account_id
     ORDER BY v.depth DESC, la.account_id
       FOR UPDATE OF la;

    IF EXISTS (SELECT 1 FROM unnest(v_mout) AS o (outcome)
                WHERE outcome NOT IN ('accepted', 'rejected', 'expired', 'deferred', 'throttled'))
    THEN
        RAISE EXCEPTION 'sg_sms_settle_batch: unknown outcome' USING ERRCODE = 'SG001';
    END IF;

    UPDATE sms s SET status = 'queued', lease_until = NULL,
                     due_at = now() + make_interval(secs => i.wait),
                     attempts = s.attempts - (i.outcome = 'throttled')::integer
      FROM unnest(v_mid, v_mout, v_mcar, v_mref, v_mdet, v_mwait)
           AS i (id, outcome, carrier, ref, detail, wait)
     WHERE s.id = i.id AND i.outcome IN ('deferred', 'throttled');
    UPDATE sms s SET status = CASE i.outcome WHEN 'accepted' THEN 'submitted' ELSE i.outcome END,
                     carrier = coalesce(i.carrier, s.carrier),
                     carrier_ref = coalesce(i.ref, s.carrier_ref),
                     submitted_at = CASE WHEN i.outcome = 'accepted' THEN now() END,
                     lease_until = NULL,
                     awaiting_receipt = (i.outcome = 'accepted' AND u.charge_on = 'delivery')
      FROM unnest(v_mid, v_mout, v_mcar, v_mref, v_mdet, v_mwait)
           AS i (id, outcome, carrier, ref, detail, wait), account u
     WHERE s.id = i.id AND i.outcome IN ('accepted', 'rejected', 'expired')
       AND u.id = s.universe_id;

    INSERT INTO sms_event (sms_id, status, detail)
    SELECT i.id, CASE i.outcome WHEN 'accepted' THEN 'submitted' ELSE i.outcome END, i.detail
      FROM unnest(v_mid, v_mout, v_mcar, v_mref, v_mdet, v_mwait)
           AS i (id, outcome, carrier, ref, detail, wait) WHERE i.outcome IN ('accepted', 'rejected', 'expired')
     ORDER BY i.id;

    -- the money: as sg_resolve does for one reservation, for all at once
    SELECT array_agg(s.reservation_id), array_agg(CASE i.outcome WHEN 'accepted' THEN 'post'
                                                                 ELSE 'void' END)
      INTO v_tid, v_kind
      FROM unnest(v_mid, v_mout, v_mcar, v_mref, v_mdet, v_mwait)
           AS i (id, outcome, carrier, ref, detail, wait) JOIN sms s ON s.id = i.id JOIN account u ON u.id = s.universe_id
     WHERE (i.outcome IN ('rejected', 'expired') OR (i.outcome = 'accepted' AND u.charge_on = 'accept'))
       AND NOT EXISTS (SELECT 1 FROM transfer t WHERE t.reservation_id = s.reservation_id
                        AND t.kind IN ('post', 'void'));
    IF v_tid IS NULL THEN
        RETURN QUERY SELECT u.id, u.id = ANY (v_mine), NULL::text FROM unnest(v_id) AS u (id);
        RETURN;
    END IF;
    INSERT INTO transfer (key, kind, debit_id, credit_id, amount, reservation_id)
    SELECT r.kind || ':' || t.key, r.kind, t.debit_id, t.credit_id, t.amount, t.id
      FROM unnest(v_tid, v_kind) AS r (id, kind) JOIN transfer t ON t.id = r.id
     ORDER BY t.id;
    UPDATE ledger_account la SET debits_pending = la.debits_pending - x.pending,
                                 debits_posted = la.debits_posted + x.posted
      FROM (SELECT t.debit_id, sum(t.amount) AS pending,
                   coalesce(sum(t.amount) FILTER (WHERE r.kind = 'post'), 0) AS posted
              FROM unnest(v_tid, v_kind) AS r (id, kind) JOIN transfer t ON t.id = r.id
             GROUP BY t.debit_id) x
     WHERE la.id = x.debit_id;
    -- voids: what the sender and each account up to the payer spent, given back
    UPDATE spend s SET amount = s.amount - x.amount
      FROM (SELECT l.account_id, pd.period,
                   CASE pd.period WHEN 'd' THEN v.day ELSE date_trunc('month', v.day)::date END
                     AS period_start,
                   sum(l.price) AS amount
              FROM unnest(v_tid, v_kind) AS r (id, kind)
              JOIN reservation v ON v.transfer_id = r.id
              JOIN reservation_level l ON l.transfer_id = r.id AND l.depth <= v.payer_depth
             CROSS JOIN (VALUES ('d'), ('m')) AS pd (period)
             WHERE r.kind = 'void'
             GROUP BY 1, 2, 3) x
     WHERE s.account_id = x.account_id AND s.period = x.period AND s.period_start = x.period_start;
    -- posts: each ancestor above the payer earns the price of the account
    -- below it less its own; the root's own price is the carrier's
    IF to_regclass('pg_temp.settle_margin') IS NULL THEN  -- once per connection
        CREATE TEMP TABLE settle_margin (key text, kind text, clearing bigint,
            ledger bigint, amount bigint, reservation bigint) ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM pg_temp.settle_margin;
    INSERT INTO pg_temp.settle_margin
    SELECT 'margin:' || m.key || ':' || m.depth, 'margin', m.credit_id, la.id,
           m.below - m.price, m.id
      FROM (SELECT t.key, t.id, t.credit_id, l.depth, l.price, l.account_id, v.payer_depth,
                   lag(l.price) OVER (PARTITION BY t.id ORDER BY l.depth) AS below
              FROM unnest(v_tid, v_kind) AS r (id, kind)
              JOIN transfer t ON t.id = r.id
              JOIN reservation v ON v.transfer_id = r.id
              JOIN reservation_level l ON l.transfer_id = r.id
             WHERE r.kind = 'post') m
      JOIN ledger_account la ON la.account_id = m.account_id
     WHERE m.depth > m.payer_depth AND m.below - m.price > 0;
    INSERT INTO transfer (key, kind, debit_id, credit_id, amount, reservation_id)
    SELECT key, kind, clearing, ledger, amount, reservation FROM pg_temp.settle_margin
     ORDER BY reservation, key;
    UPDATE ledger_account la SET credits_posted = la.credits_posted + x.amount
      FROM (SELECT ledger, sum(amount) AS amount FROM pg_temp.settle_margin GROUP BY ledger) x
     WHERE la.id = x.ledger;
    INSERT INTO transfer (key, kind, debit_id, credit_id, amount, reservation_id)
    SELECT 'carrier:' || t.key, 'carrier', t.credit_id, v_carrier, top.price, t.id
      FROM unnest(v_tid, v_kind) AS r (id, kind)
      JOIN transfer t ON t.id = r.id
      CROSS JOIN LATERAL (SELECT l.price FROM reservation_level l WHERE l.transfer_id = r.id
                           ORDER BY l.depth DESC LIMIT 1) top
     WHERE r.kind = 'post' AND top.price > 0
     ORDER BY t.id;
    RETURN QUERY SELECT u.id, u.id = ANY (v_mine), NULL::text FROM unnest(v_id) AS u (id);
END $$;
