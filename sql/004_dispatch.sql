-- 004_dispatch.sql - carriers: attempts, settlement
--
-- smsgate-dispatchd claims due SMS in a short transaction that marks them
-- "sending" with a lease (FOR UPDATE SKIP LOCKED: several dispatchers never
-- take the same one), hands them to a carrier outside any transaction, and
-- settles each in its own transaction with its new status: posted (the
-- payer charged, every margin paid) when the carrier accepts it and the
-- universe charges on acceptance, voided when it is rejected or expires.
-- An SMS whose lease ran out (its dispatcher died between claim and
-- settlement) is claimed again: the one window in which a carrier may get
-- an SMS twice, and the carrier reference recorded with it tells.

ALTER TABLE sms ADD COLUMN attempts integer NOT NULL DEFAULT 0,
                ADD COLUMN carrier text,
                ADD COLUMN carrier_ref text,
                ADD COLUMN submitted_at timestamptz,
                ADD COLUMN lease_until timestamptz;
CREATE INDEX sms_lease ON sms (lease_until) WHERE status = 'sending';

-- sg_sms_settle - an SMS's outcome at a carrier, with its money:
--   accepted  status submitted; the reservation posted unless the universe
--             charges on delivery (then it waits for the receipt);
--   rejected, expired  status as named; the reservation voided.
-- Only an SMS being sent is settled; anything else returns false (nothing done).
CREATE FUNCTION sg_sms_settle(p_sms bigint, p_outcome text, p_carrier text, p_ref text,
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
    UPDATE sms SET status = v_new, carrier = coalesce(p_carrier, carrier),
                   carrier_ref = coalesce(p_ref, carrier_ref),
                   submitted_at = CASE WHEN p_outcome = 'accepted' THEN now() END,
                   lease_until = NULL
     WHERE id = p_sms;
    INSERT INTO sms_event (sms_id, status, detail) VALUES (p_sms, v_new, p_detail);
    SELECT charge_on INTO v_on FROM account WHERE id = s.universe_id;
    IF p_outcome <> 'accepted' THEN
        PERFORM sg_resolve(s.reservation_id, 'void');
    ELSIF v_on = 'accept' THEN
        PERFORM sg_resolve(s.reservation_id, 'post');
    END IF;
    RETURN true;
END $$;
