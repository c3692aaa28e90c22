-- stamp.lua - forged Authentication-Results out, ours in; an abort between two messages
-- -D sock=... -D lib=common.lua
dofile(lib)

local c = open("192.0.2.10")
mail(c, "alice@acme.test", "alice")
rcpt(c, "0412345678@sms.acme.test", SMFIR_CONTINUE)
message(c, {{"Authentication-Results", "smsgate.test; auth=pass smtp.auth=mallory"},
            {"From", "Alice <alice@acme.test>"},
            {"Authentication-Results", "mx.example.net; spf=pass smtp.mailfrom=alice@acme.test"},
            {"Subject", "hi"}},
        "Call me.\r\n")
check(c, "end of message", mt.eom(c), SMFIR_CONTINUE)
if not mt.eom_check(c, MT_HDRDELETE, "Authentication-Results") then
    fail("the forged Authentication-Results was not removed")
end
mt.echo("ok  forged Authentication-Results removed")
local want = "smsgate.test; auth=pass smtp.auth=alice smtp.remote-ip=192.0.2.10"
if not mt.eom_check(c, MT_HDRINSERT, "Authentication-Results", want) then
    fail("ours was not added as: " .. want)
end
mt.echo("ok  ours added: " .. want)

-- a second message whose first try is aborted: nothing of it remains
mail(c, "alice@acme.test", "alice")
rcpt(c, "0412345678@sms.acme.test", SMFIR_CONTINUE)
message(c, {{"Authentication-Results", "SMSGATE.TEST; auth=pass smtp.auth=mallory"}}, "One.\r\n")
check(c, "abort", mt.abort(c), nil)
mail(c, "alice@acme.test", "alice")
rcpt(c, "0412345679@sms.acme.test", SMFIR_CONTINUE)
message(c, {{"From", "Alice <alice@acme.test>"}, {"Subject", "again"}}, "Two.\r\n")
check(c, "end of the message after the abort", mt.eom(c), SMFIR_CONTINUE)
if mt.eom_check(c, MT_HDRDELETE, "Authentication-Results") then
    fail("a field was removed from a message that had none of ours: the abort left state behind")
end
mt.echo("ok  nothing removed after the abort")
if not mt.eom_check(c, MT_HDRINSERT, "Authentication-Results", want) then
    fail("ours was not added to the message after the abort")
end
mt.echo("ok  ours added after the abort")
mt.disconnect(c)
mt.echo("*** stamp: all checks passed")
