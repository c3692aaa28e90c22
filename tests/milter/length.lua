-- length.lua - a text over the rule's part limit refused at the end of the message
-- -D sock=... -D lib=common.lua
dofile(lib)

local c = open("192.0.2.10")
mail(c, "alice@short.test", "alice")
rcpt(c, "0412345678@sms.acme.test", SMFIR_CONTINUE)
message(c, {{"From", "alice@short.test"}, {"Subject", ""}}, string.rep("x", 200) .. "\r\n")
check(c, "end of a 200-character message", mt.eom(c), SMFIR_REPLYCODE)
local text = "<0412345678@sms.acme.test>: message too long: 2 parts, the limit is 1"
if not mt.eom_check(c, MT_SMTPREPLY, "550", "5.3.4", text) then
    fail("no reply 550 5.3.4 " .. text)
end
mt.echo("ok  550 5.3.4 " .. text)
if mt.eom_check(c, MT_HDRINSERT, "Authentication-Results") then
    fail("a refused message was stamped")
end

-- the same text to an SMS number and a mailbox: a refusal now would take
-- the mailbox's copy too, so it goes on (smsgate-lmtpd refuses the SMS)
mail(c, "alice@short.test", "alice")
rcpt(c, "0412345678@sms.acme.test", SMFIR_CONTINUE)
rcpt(c, "alice@example.org", SMFIR_CONTINUE)
message(c, {{"From", "alice@short.test"}, {"Subject", ""}}, string.rep("x", 200) .. "\r\n")
check(c, "end of a long message to an SMS number and a mailbox", mt.eom(c), SMFIR_CONTINUE)
if not mt.eom_check(c, MT_HDRINSERT, "Authentication-Results") then
    fail("the message to the mailbox was not stamped")
end
mt.echo("ok  not refused for its mailbox recipient")

-- the next message on the connection fits
mail(c, "alice@short.test", "alice")
rcpt(c, "0412345678@sms.acme.test", SMFIR_CONTINUE)
message(c, {{"From", "alice@short.test"}}, "Short.\r\n")
check(c, "end of a short message", mt.eom(c), SMFIR_CONTINUE)
mt.disconnect(c)
mt.echo("*** length: all checks passed")
