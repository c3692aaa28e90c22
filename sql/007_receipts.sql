-- 007_receipts.sql - receipts that never come; receipts found by the carrier's reference
--
-- A universe that charges on delivery keeps each SMS's reservation until
-- the delivery receipt. A receipt can be lost (a carrier that never sends
-- one, a callback URL mistyped): the reservation would hold the payer's
-- money forever. awaiting_receipt (added by 006) marks the SMS accepted by a carrier whose
-- reservation waits for its receipt; smsgate-dispatchd resolves those
-- that waited longer than receipt_wait as receipt_missing says
-- (sg_receipt_overdue). The settlement functions of 004 and 005 are
-- replaced to set the mark; the batch settlement of 006 sets it too.

-- SMS accepted before this migration wait for their receipts too
UPDATE sms s SET awaiting_receipt = true
  FROM account u
 WHERE u.id = s.universe_id AND u.charge_on = 'delivery' AND s.status = 'submitted'
   AND NOT EXISTS (SELECT 1 FROM transfer t WHERE t.reservation_id = s.reservation_id
                    AND t.kind IN ('post', 'void'));
CREATE INDEX sms_awaiting_receipt ON sms (submitted_at) WHERE awaiting_receipt AND status = 'submitted';
-- the http driver's receipts may name the SMS by the carrier's own reference
CREATE INDEX sms_carrier_ref ON sms (carrier, carrier_ref) WHERE carrier_ref IS NOT NULL;

-- (as 004, and the mark)
CREATE OR REPLACE FUNCTION sg_sms_settle(p_sms bigint, p_outcome text, p_carrier text, p_ref text,
                              p_detail text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    s       sms%ROWTYPE;
    v_on    text;
    v_new   text := CASE p_outcome WHEN 'accepted' THEN 'submitted' ELSE p_outcome END;
BEGIN
    IF p_outcome NOT IN ('accepted', 'rejected', 'expired') THEN
        RAISE EXCEPTION 'sg_sms_settle: unknown outcome %', p_outcome USING ERRCODE = 'SG001';
    END IF;
    SELECT * INTO s FROM sms WHERE id = p_sms FOR UPDATE;
    IF NOT FOUND OR s.status <> 'sending' THEN
        RETURN false;
    END IF;
    SELECT charge_on INTO v_on FROM account WHERE id = s.universe_id;
    UPDATE sms SET status = v_new, carrier = coalesce(p_carrier, carrier),
                   carrier_ref = coalesce(p_ref, carrier_ref),
                   submitted_at = CASE WHEN p_outcome = 'accepted' THEN now() END,
                   lease_until = NULL,
                   awaiting_receipt = (p_outcome = 'accepted' AND v_on = 'delivery')
     WHERE id = p_sms;
    INSERT INTO sms_event (sms_id, status, detail) VALUES (p_sms, v_new, p_detail);
    IF p_outcome <> 'accepted' THEN
        PERFORM sg_resolve(s.reservation_id, 'void');
    ELSIF v_on = 'accept' THEN
        PERFORM sg_resolve(s.reservation_id, 'post');
    END IF;
    RETURN true;
END $$;

-- (as 005, and the mark)
CREATE OR REPLACE FUNCTION sg_sms_receipt(p_sms bigint, p_carrier text, p_outcome text, p_detail text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    s       sms%ROWTYPE;
    v_on    text;
    v_final boolean := p_outcome IN ('delivered', 'undeliverable');
BEGIN
    IF p_outcome NOT IN ('delivered', 'undeliverable', 'buffered', 'smsc-accepted') THEN
        RAISE EXCEPTION 'sg_sms_receipt: unknown outcome %', p_outcome USING ERRCODE = 'SG001';
    END IF;
    SELECT * INTO s FROM sms WHERE id = p_sms FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'unknown';
    END IF;
    IF s.carrier IS NOT NULL AND s.carrier <> p_carrier THEN
        RETURN 'foreign';
    END IF;
    IF s.status = p_outcome THEN
        RETURN 'duplicate';
    END IF;
    IF s.status = 'sending' THEN
        SELECT charge_on INTO v_on FROM account WHERE id = s.universe_id;
        UPDATE sms SET status = 'submitted', carrier = p_carrier, submitted_at = now(),
                       lease_until = NULL, awaiting_receipt = (v_on = 'delivery')
         WHERE id = p_sms;
        INSERT INTO sms_event (sms_id, status, detail)
        VALUES (p_sms, 'submitted', 'accepted: a receipt arrived before the settlement');
        IF v_on = 'accept' THEN
            PERFORM sg_resolve(s.reservation_id, 'post');
        END IF;
        s.status := 'submitted';
    END IF;
    IF s.status <> 'submitted' THEN
        RETURN 'ignored';
    END IF;
    IF NOT v_final THEN
        -- the same news twice (a retried callback) is recorded once
        IF EXISTS (SELECT 1 FROM sms_event e WHERE e.sms_id = p_sms AND e.status = p_outcome
                   AND e.detail IS NOT DISTINCT FROM p_detail) THEN
            RETURN 'duplicate';
        END IF;
        INSERT INTO sms_event (sms_id, status, detail) VALUES (p_sms, p_outcome, p_detail);
        RETURN 'changed';
    END IF;
    UPDATE sms SET status = p_outcome, awaiting_receipt = false WHERE id = p_sms;
    INSERT INTO sms_event (sms_id, status, detail) VALUES (p_sms, p_outcome, p_detail);
    -- by the reservation's state, not today's charge_on: a universe switched
    -- since the SMS was accepted still gets each SMS resolved exactly once
    PERFORM sg_resolve(s.reservation_id,
                       CASE p_outcome WHEN 'delivered' THEN 'post' ELSE 'void' END);
    RETURN 'changed';
END $$;

-- sg_receipt_overdue - resolve up to p_limit reservations whose receipt is
-- more than p_wait seconds late: p_action post (charge: the carrier took the
-- SMS) or void (refund: delivery was never proven). Each gets a history
-- line. A receipt that comes later still moves the SMS's status; the money
-- stays as resolved here. Returns how many were resolved. SKIP LOCKED: two
-- dispatchers share the work; the locks are taken SMS row first, then the
-- ledger's, as receipts take them.
CREATE FUNCTION sg_receipt_overdue(p_wait integer, p_action text, p_limit integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    s   record;
    n   integer := 0;
BEGIN
    IF p_action NOT IN ('post', 'void') THEN
        RAISE EXCEPTION 'sg_receipt_overdue: unknown action %', p_action USING ERRCODE = 'SG001';
    END IF;
    FOR s IN SELECT x.id, x.reservation_id FROM sms x
              WHERE x.awaiting_receipt AND x.status = 'submitted'
                AND x.submitted_at < now() - make_interval(secs => p_wait)
              ORDER BY x.submitted_at LIMIT p_limit FOR UPDATE SKIP LOCKED LOOP
        UPDATE sms SET awaiting_receipt = false WHERE id = s.id;
        INSERT INTO sms_event (sms_id, status, detail)
        VALUES (s.id, 'submitted',
                format('no delivery receipt within %s s: %s', p_wait,
                       CASE p_action WHEN 'post' THEN 'charged' ELSE 'refunded' END));
        PERFORM sg_resolve(s.reservation_id, p_action);
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
