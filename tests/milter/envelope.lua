-- envelope.lua - the verdicts at RCPT (milter_test.py checks the reply texts in the log)
-- -D sock=... -D lib=common.lua
dofile(lib)

-- authenticated alice, from outside every network
local c = open("198.51.100.20")
mail(c, "alice@acme.test", "alice")
rcpt(c, "0412345678@sms.nowhere.test", SMFIR_REPLYCODE)   -- 5.1.2
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
mt.echo("*** envelope: all checks passed")
