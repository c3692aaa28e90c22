-- 005_callbacks.sql - what carriers call back with: receipts, inbound SMS
--
-- smsgate-httpd turns a carrier's delivery receipt into one call of
-- sg_sms_receipt, and an inbound SMS (a reply from a phone) into one row of
-- inbound. Both are idempotent: carriers retry a callback until they get an
-- answer, so the second copy must change nothing.

-- Inbound SMS, kept for the replies feature. A carrier's own reference, when
-- it sends one, stores a retried callback once (NULLs never collide).
CREATE TABLE inbound (
    id           bigserial PRIMARY KEY,
    carrier      text NOT NULL,
    from_number  text NOT NULL,
    to_number    text NOT NULL,
    text         text NOT NULL,
    carrier_ref  text,
    smsc         text,
    carrier_time text,               -- as the carrier wrote it
    received_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (carrier, carrier_ref)
);
CREATE INDEX inbound_received ON inbound (received_at);

-- sg_inbound - store one inbound SMS; the row's id and whether it is new
-- (false: the carrier sent this carrier_ref before, nothing stored).
CREATE FUNCTION sg_inbound(p_carrier text, p_from text, p_to text, p_text text, p_ref text,
                           p_smsc text, p_time text, OUT id bigint, OUT created boolean)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inbound (carrier, from_number, to_number, text, carrier_ref, smsc, carrier_time)
    VALUES (p_carrier, p_from, p_to, p_text, nullif(p_ref, ''), nullif(p_smsc, ''),
            nullif(p_time, ''))
    ON CONFLICT (carrier, carrier_ref) DO NOTHING
    RETURNING inbound.id INTO id;
    created := FOUND;
    IF NOT created THEN
        SELECT i.id INTO id FROM inbound i WHERE i.carrier = p_carrier AND i.carrier_ref = p_ref;
    END IF;
END $$;

-- sg_sms_receipt - a carrier's delivery receipt for an SMS, with its money.
--   delivered      submitted -> delivered; the reservation posted (a no-op
--                  when the universe charges on acceptance: already posted);
--   undeliverable  submitted -> undeliverable; the reservation voided when
--                  it is still pending (charge on delivery). A universe that
--                  charges on acceptance keeps the money: the carrier
--                  charged us for the attempt;
--   buffered, smsc-accepted  intermediate news: an sms_event row only, the
--                  status stays submitted.
-- A receipt for an SMS still "sending" outran the dispatcher's settlement
-- (or its dispatcher died): the receipt proves the carrier took it, so the
-- SMS is settled as accepted here first, exactly as sg_sms_settle would,
-- and the dispatcher's late settlement then finds it no longer sending.
-- Returns what happened:
--   changed    the status changed (or, for intermediate news, an event added);
--   duplicate  this receipt was applied before: nothing done;
--   ignored    the SMS is in a status a receipt cannot move (queued, expired,
--              rejected, or already final the other way): nothing done;
--   foreign    the SMS went to another carrier: nothing done;
--   unknown    no such SMS.
CREATE FUNCTION sg_sms_receipt(p_sms bigint, p_carrier text, p_outcome text, p_detail text)
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
        UPDATE sms SET status = 'submitted', carrier = p_carrier, submitted_at = now(),
                       lease_until = NULL
         WHERE id = p_sms;
        INSERT INTO sms_event (sms_id, status, detail)
        VALUES (p_sms, 'submitted', 'accepted: a receipt arrived before the settlement');
        SELECT charge_on INTO v_on FROM account WHERE id = s.universe_id;
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
    UPDATE sms SET status = p_outcome WHERE id = p_sms;
    INSERT INTO sms_event (sms_id, status, detail) VALUES (p_sms, p_outcome, p_detail);
    -- by the reservation's state, not today's charge_on: a universe switched
    -- since the SMS was accepted still gets each SMS resolved exactly once
    PERFORM sg_resolve(s.reservation_id,
                       CASE p_outcome WHEN 'delivered' THEN 'post' ELSE 'void' END);
    RETURN 'changed';
END $$;
