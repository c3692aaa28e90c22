-- common.lua - what the miltertest scripts of milter_test.py share
--
-- Loaded with dofile(lib); the scripts get -D sock=unix:/path (the
-- running smsgate-milter) and -D lib=this file. miltertest exits 1 on a
-- Lua error without saying why, so every failure is printed first.

function fail(msg)
    mt.echo("FAIL " .. msg)
    error(msg)
end

local names = {}
for k, v in pairs({SMFIR_CONTINUE = SMFIR_CONTINUE, SMFIR_REPLYCODE = SMFIR_REPLYCODE,
                   SMFIR_REJECT = SMFIR_REJECT, SMFIR_TEMPFAIL = SMFIR_TEMPFAIL,
                   SMFIR_ACCEPT = SMFIR_ACCEPT}) do
    names[v] = k
end

local function name(r)
    return names[r] or string.format("%q", string.char(r))
end

-- check - a step went through and the filter answered want (nil: anything)
function check(conn, what, err, want)
    if err ~= nil then fail(what .. " failed: " .. tostring(err)) end
    local r = mt.getreply(conn)
    if want ~= nil and r ~= want then
        fail(string.format("%s: reply %s, want %s", what, name(r), name(want)))
    end
    mt.echo(string.format("ok  %-50s %s", what, name(r)))
end

-- open - a connection from a client at ip. For a local submission
-- (non_smtpd_milters), Postfix makes up a connection from 127.0.0.1 (or
-- ::1): pass that, as Postfix does; nil means 127.0.0.1 too.
function open(ip)
    ip = ip or "127.0.0.1"
    local ok, conn = pcall(mt.connect, sock, 40, 0.25)
    if not ok or conn == nil then fail("cannot connect to " .. sock .. ": " .. tostring(conn)) end
    check(conn, "connect from " .. ip, mt.conninfo(conn, "client.test", ip), SMFIR_CONTINUE)
    -- HELO now: libmilter forgets MAIL's macros at a HELO, and miltertest
    -- would send one of its own between mt.macro() and mt.mailfrom()
    check(conn, "HELO", mt.helo(conn, "client.test"), SMFIR_CONTINUE)
    return conn
end

-- mail - MAIL FROM, with the SASL login as Postfix's {auth_authen} when given.
-- No queue id {i} here: Postfix opens the queue file after the first
-- accepted RCPT (smtpd_delay_open_until_valid_rcpt), so at MAIL it has none.
function mail(conn, from, login)
    if login ~= nil then mt.macro(conn, SMFIC_MAIL, "{auth_authen}", login) end
    check(conn, "MAIL FROM " .. from .. (login and (" as " .. login) or ""),
          mt.mailfrom(conn, "<" .. from .. ">"), SMFIR_CONTINUE)
end

-- rcpt - RCPT TO, answered want
function rcpt(conn, to, want)
    check(conn, "RCPT TO " .. to, mt.rcptto(conn, "<" .. to .. ">"), want)
end

-- The macro stage of the end of the message (miltertest names only
-- SMFIC_CONNECT to SMFIC_RCPT; libmilter takes macros for 'E' too).
SMFIC_BODYEOB = SMFIC_BODYEOB or string.byte("E")

-- message - header fields (a list of {name, value}), then the body; then
-- the queue id {i} for the end of the message, as Postfix sends it
-- (milter_end_of_data_macros = i, its default)
function message(conn, headers, body)
    if not mt.test_option(conn, SMFIP_NODATA) then check(conn, "DATA", mt.data(conn), SMFIR_CONTINUE) end
    for _, h in ipairs(headers) do
        check(conn, "header " .. h[1], mt.header(conn, h[1], h[2]), SMFIR_CONTINUE)
    end
    check(conn, "end of header", mt.eoh(conn), SMFIR_CONTINUE)
    check(conn, "body", mt.bodystring(conn, body), SMFIR_CONTINUE)
    mt.macro(conn, SMFIC_BODYEOB, "i", "TESTQ1")
end
