-- 003_sms.sql - the SMS queue
--
-- An SMS row is committed in the same transaction as its reservation (the
-- pending transfer that will pay for it), so there is never an SMS nobody
-- pays for nor a charge without an SMS. The key makes intake idempotent: a
-- mail delivered again finds its SMS and creates nothing.

CREATE TABLE sms (
    id              bigserial PRIMARY KEY,
    key             text NOT NULL UNIQUE,
    reservation_id  bigint NOT NULL UNIQUE REFERENCES transfer (id),
    account_id      bigint NOT NULL REFERENCES account (id),   -- who sends
    universe_id     bigint NOT NULL REFERENCES account (id),
    rule_id         bigint REFERENCES sender_rule (id) ON DELETE SET NULL,
    mail_from       text NOT NULL,
    destination     text NOT NULL CHECK (destination ~ '^[0-9]{7,15}$'),
    sender_id       text,                  -- shown to the recipient; NULL: the carrier's default
    body            text NOT NULL,
    encoding        text NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
    parts           integer NOT NULL CHECK (parts > 0),
    truncated       boolean NOT NULL DEFAULT false,
    charged         bigint NOT NULL CHECK (charged >= 0),  -- the sending account's own price
    paid            bigint NOT NULL CHECK (paid >= 0),     -- what the payer pays
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'submitted', 'delivered',
                                      'undeliverable', 'expired', 'rejected')),
    notify          text NOT NULL DEFAULT 'failed',
    message_id      text,
    queue_id        text,
    client_address  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    due_at          timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL DEFAULT now() + interval '2 days'
);
CREATE INDEX sms_due ON sms (due_at) WHERE status = 'queued';
CREATE INDEX sms_account ON sms (account_id, created_at);

-- Every change of status after queued (the queued time is the SMS's
-- created_at), with its time and why: what `smsgatectl sms show` lists.
-- Written by the functions that change a status (sg_sms_settle), never by
-- hand.
CREATE TABLE sms_event (
    sms_id      bigint NOT NULL REFERENCES sms (id),
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    status      text NOT NULL,
    detail      text
);
CREATE INDEX sms_event_sms ON sms_event (sms_id, at);

-- sg_intake - the reservation and the SMS in one statement, so that a
-- client running it outside BEGIN ... COMMIT holds the payer's row lock
-- for no round trip at all. Statuses as sg_reserve's; on ok and replay,
-- sms_id is the SMS (the one made the first time, for a replay). The
-- NOTIFY that wakes smsgate-dispatchd is sent by the caller after commit:
-- a NOTIFY inside the transaction would serialise every commit in the
-- database on the notification queue's lock.
CREATE FUNCTION sg_intake(p_key text, p_payer bigint, p_destination text, p_prefix text,
                          p_segments integer, p_accounts bigint[], p_prices bigint[],
                          p_universe bigint, p_rule bigint, p_mail_from text, p_sender_id text,
                          p_body text, p_encoding text, p_truncated boolean, p_notify text,
                          p_message_id text, p_queue_id text, p_client text, p_validity integer,
                          OUT status text, OUT sms_id bigint, OUT detail text)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    SELECT * INTO r FROM sg_reserve_rows(p_key, p_payer, p_destination, p_prefix, p_segments,
                                         p_accounts, p_prices);
    IF r.replay THEN
        status := 'replay';
        SELECT s.id INTO sms_id FROM sms s WHERE s.key = p_key;
        RETURN;
    END IF;
    INSERT INTO sms (key, reservation_id, account_id, universe_id, rule_id, mail_from, destination,
                     sender_id, body, encoding, parts, truncated, paid, charged, notify,
                     message_id, queue_id, client_address, expires_at)
    VALUES (p_key, r.transfer_id, p_accounts[1], p_universe, p_rule, p_mail_from, p_destination,
            p_sender_id, p_body, p_encoding, p_segments, p_truncated,
            p_prices[array_position(p_accounts, p_payer)], p_prices[1], p_notify,
            nullif(p_message_id, ''), nullif(p_queue_id, ''), nullif(p_client, ''),
            now() + make_interval(secs => p_validity))
    RETURNING id INTO sms_id;
    -- last: the rows other reservations for this payer wait for
    PERFORM sg_reserve_take(p_payer, p_accounts, p_prices);
    status := 'ok';
EXCEPTION WHEN SQLSTATE 'SG101' OR SQLSTATE 'SG102' OR SQLSTATE 'SG103' OR SQLSTATE 'SG104' THEN
    GET STACKED DIAGNOSTICS status = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    sms_id := NULL;
END $$;
