-- refused.lua - one recipient refused at RCPT for what milter_test.py set up
-- (a suspended account, a payer without funds, the database down); the
-- reply's code and text are checked in the log
-- -D sock=... -D lib=common.lua -D from=ADDRESS
dofile(lib)

local c = open("192.0.2.10")
mail(c, from, "alice")
rcpt(c, "0412345678@sms.acme.test", SMFIR_REPLYCODE)
mt.disconnect(c)
mt.echo("*** refused: all checks passed")
