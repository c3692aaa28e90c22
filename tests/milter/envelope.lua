-- envelope.lua - the verdicts at RCPT (milter_test.py checks the reply texts in the log)
-- -D sock=... -D lib=common.lua
dofile(lib)

-- authenticated alice, from outside every network
local c = open("198.51.100.20")
mail(c, "alice@acme.test", "alice")
rcpt(c, "0412345678@sms.nowhere.test", SMFIR_CONTINUE)    -- not an SMS domain: not ours
rcpt(c, "bob@sms.acme.test", SMFIR_REPLYCODE)             -- 5.1.3
rcpt(c, "0298765432@sms.acme.test", SMFIR_REPLYCODE)      -- 5.1.3, a fixed line
rcpt(c, "0412345678@sms.acme.test", SMFIR_CONTINUE)       -- sasl with a login
mt.disconnect(c)

-- no sender rule
c = open("198.51.100.20")
mail(c, "mallory@evil.test", "mallory")
rcpt(c, "0412345678@sms.acme.test", SMFIR_REPLYCODE)      -- 5.7.1
mt.disconnect(c)

-- the rule wants sasl, the client did not log in
c = open("198.51.100.20")
mail(c, "alice@acme.test")
rcpt(c, "0412345678@sms.acme.test", SMFIR_REPLYCODE)      -- 5.7.1
mt.disconnect(c)

-- network rules: inside, then outside
c = open("192.0.2.10")
mail(c, "printer@net.test")
rcpt(c, "0412345678@sms.acme.test", SMFIR_CONTINUE)
mt.disconnect(c)
c = open("203.0.113.9")
mail(c, "printer@net.test")
rcpt(c, "0412345678@sms.acme.test", SMFIR_REPLYCODE)      -- 5.7.1
mt.disconnect(c)

-- a rule that also takes dkim: left to smsgate-lmtpd
c = open("203.0.113.9")
mail(c, "dave@later.test")
rcpt(c, "0412345678@sms.acme.test", SMFIR_CONTINUE)
mt.disconnect(c)
-- ordinary mail passes the milter too: a foreign domain, a bare postmaster
c = open("198.51.100.20")
mail(c, "mallory@evil.test")
rcpt(c, "bob@example.org", SMFIR_CONTINUE)
rcpt(c, "postmaster", SMFIR_CONTINUE)
rcpt(c, "0412345678@sms.acme.test", SMFIR_REPLYCODE)      -- 5.7.1: no sender rule
message(c, {{"From", "mallory@evil.test"}, {"Subject", "hello"}}, "Hello.\r\n")
check(c, "end of the message to a mailbox and postmaster", mt.eom(c), SMFIR_CONTINUE)
if not mt.eom_check(c, MT_HDRINSERT, "Authentication-Results") then
    fail("ordinary mail was not stamped")
end
mt.disconnect(c)

-- a local submission (sendmail(1), non_smtpd_milters) to root: Postfix's
-- made-up connection from 127.0.0.1
c = open()
mail(c, "cron@localhost.test")
rcpt(c, "root", SMFIR_CONTINUE)
message(c, {{"Subject", "cron output"}}, "done\r\n")
check(c, "end of cron's mail to root", mt.eom(c), SMFIR_CONTINUE)
mt.disconnect(c)
mt.echo("*** envelope: all checks passed")
