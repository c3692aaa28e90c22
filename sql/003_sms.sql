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
    destination     text NOT NULL CHECK (destination ~ '^[0-9]{8,15}$'),
    sender_id       text,                  -- shown to the recipient; NULL: the carrier's default
    body            text NOT NULL,
    encoding        text NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
    parts           integer NOT NULL CHECK (parts > 0),
    truncated       boolean NOT NULL DEFAULT false,
    price           bigint NOT NULL CHECK (price >= 0),    -- what the payer is charged
    charged         bigint NOT NULL CHECK (charged >= 0),  -- the sending account's own price
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'submitted', 'delivered', 'undeliverable',
                                      'expired', 'rejected')),
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

-- Every change of status, with its time: what `smsgatectl sms show` lists.
CREATE TABLE sms_event (
    sms_id      bigint NOT NULL REFERENCES sms (id),
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    status      text NOT NULL,
    detail      text
);
CREATE INDEX sms_event_sms ON sms_event (sms_id, at);

CREATE FUNCTION sg_sms_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO sms_event (sms_id, status) VALUES (NEW.id, NEW.status);
    END IF;
    IF TG_OP = 'INSERT' THEN
        -- wakes smsgate-dispatchd; delivered at COMMIT, and only then
        PERFORM pg_notify('sms_queued', NEW.id::text);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER sms_event AFTER INSERT OR UPDATE OF status ON sms
    FOR EACH ROW EXECUTE FUNCTION sg_sms_event();
