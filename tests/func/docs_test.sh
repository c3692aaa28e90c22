#!/bin/sh
# docs_test.sh - the manual pages and the sample configuration against the code
#
# What the code knows is read from the code itself, so a key, a command, an
# option or a sender setting added without its documentation (or removed
# from a page) fails here:
#   - every key of conf_keys[] and of carrier_keys[] (src/lib/conf.c) has a
#     term line in smsgate.conf(5) with its default and, for integers, its
#     bounds, and a line "key = default" (commented out or not) in
#     conf/smsgate.conf;
#   - the sample configuration loads: smsgatectl does not exit 78 with it,
#     nor with every commented-out key switched on, while it does exit 78
#     for a file with an unknown key (so the check can fail);
#   - every command of commands[] (src/ctl/ctl_main.c), every option of a
#     command (src/ctl/*.c), every global option, every sender setting of
#     sender_keys[] (src/lib/sender.c) and every exit code of ctl.h is
#     documented in smsgatectl(8);
#   - smsgate-lmtpd(8) documents every option of lmtpd_main.c's getopt()
#     string under OPTIONS, names under CONFIGURATION every key of
#     conf_keys[] the daemon reads (conf->key in src/lmtpd/*.c and
#     src/lib/intake.c), and shows every reply "NNN N.N.N" written in
#     src/lib/intake.c, src/lib/lmtp.c and src/lmtpd/lmtpd_session.c;
#   - smsgate-lmtpd -n accepts conf/smsgate.conf, also with every key
#     switched on, and refuses an unknown key with exit 78;
#   - smsgate-dispatchd(8) documents every option of its getopt() string
#     under OPTIONS, names under CONFIGURATION every key of conf_keys[] it
#     reads (conf->key in src/dispatchd/*.c) and every key of carrier_keys[],
#     shows every "action=" log line and every exit code (msg_fatal(),
#     exit()) of dispatchd_main.c under EXIT STATUS;
#   - smsgate-dispatchd -n accepts conf/smsgate.conf, also with every key
#     switched on, and the carrier example of smsgate.conf(5), and refuses
#     an unknown key with exit 78;
#   - smsgate-milter(8) documents its options, the keys it reads, its
#     replies (src/milter/*.c and intake_check()'s), its "action=" log
#     lines and exit codes; smsgate-milter -n accepts the sample and
#     refuses an unknown key;
#   - every page has the sections of STYLE.md point 9 and groff finds
#     nothing to warn about.
#
# Run by tests/run-test from the build directory, with top_srcdir and
# top_builddir set (or SMSGATECTL, SMSGATE_LMTPD and SMSGATE_DISPATCHD
# naming the programs).
# POSIX sh, TAP output.

srcdir=${top_srcdir:-.}
ctl=${SMSGATECTL:-${top_builddir:-.}/src/ctl/smsgatectl}
lmtpd=${SMSGATE_LMTPD:-${top_builddir:-.}/src/lmtpd/smsgate-lmtpd}
dispatchd=${SMSGATE_DISPATCHD:-${top_builddir:-.}/src/dispatchd/smsgate-dispatchd}
man8=$srcdir/man/smsgatectl.8
man8l=$srcdir/man/smsgate-lmtpd.8
man8d=$srcdir/man/smsgate-dispatchd.8
man8h=$srcdir/man/smsgate-httpd.8
httpd=${SMSGATE_HTTPD:-${top_builddir:-.}/src/httpd/smsgate-httpd}
man5=$srcdir/man/smsgate.conf.5
man7=$srcdir/man/smsgate.7
sample=$srcdir/conf/smsgate.conf
tmp=$(mktemp -d "${TMPDIR:-/tmp}/docs_test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

n=0
failed=0
ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}
not_ok() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
}
# check DESCRIPTION COMMAND... - one test point from a command's status
check() {
    desc=$1
    shift
    if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
diag() {
    printf '%s\n' "$*" | sed 's/^/# /'
}

# has TEXT NEEDLE - NEEDLE occurs in TEXT as a whole word (no letter, digit,
# '_' or '=' right before or after it)
has() {
    printf '%s\n' "$1" | awk -v n="$2" '
        {
            t = $0; p = ""
            while ((i = index(t, n)) > 0) {
                b = i > 1 ? substr(t, i - 1, 1) : substr(p, length(p), 1)
                a = substr(t, i + length(n), 1)
                if (b !~ /[A-Za-z0-9_=]/ && a !~ /[A-Za-z0-9_=]/) { f = 1; exit }
                p = substr(t, 1, i); t = substr(t, i + 1)
            }
        }
        END { exit !f }'
}

# term PAGE NAME [eq] - PAGE has a term for NAME: a tag line right after
# .TP or .TQ, being a .B, .BI or .BR line or a line starting "\fB", whose
# first word is NAME (followed by a blank, a quote, '=', a font escape or
# the end of the line; with "eq", followed by '='). Mentions of NAME in
# running text do not count, so removing the term fails the check.
term() {
    awk -v name="$2" -v eq="${3:-}" '
        BEGIN {
            lead = "^(\\.B[IR]? +\"?|\\\\fB)" name
            re = eq != "" ? lead "=" : lead "([ \"=\\\\]|$)"
        }
        prev ~ /^\.T[PQ]/ && $0 ~ re { f = 1; exit }
        { prev = $0 }
        END { exit !f }' "$1"
}

# paragraph PAGE NAME - the text of the paragraph of NAME's term, roff removed
paragraph() {
    awk -v name="$2" '
        BEGIN { re = "^\\.B[IR]? +\"?" name "([ \"]|$)" }
        found && /^\.(TP|SH|SS)/ { exit }
        found { print }
        !found && prev ~ /^\.T[PQ]/ && $0 ~ re { found = 1 }
        { prev = $0 }
    ' "$1" | sed -e 's/^\.[A-Za-z]* *//' -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/"//g' |
        tr '\n' ' ' | tr -s ' '
}

# roff_opt NAME - an option name as written in roff: "--credit-limit" is
# "\-\-credit\-limit"
roff_opt() {
    printf '%s\n' "$1" | sed 's/-/\\-/g'
}

# --- what the code says ----------------------------------------------------

# key_table NAME - the key table NAME[] of src/lib/conf.c (conf_keys,
# carrier_keys), from "NAME[] = {" to its NULL entry, one entry a line (an
# entry may span several lines of C)
key_table() {
    awk -v t="$1" '
        index($0, t "[] = {") { on = 1; next }
        on && /^[ \t]*\{NULL/ { if (e != "") print e; exit }
        on && /^[ \t]*\{"/ { if (e != "") print e; e = $0; next }
        on && e != "" { sub(/^[ \t]*/, " "); e = e $0 }
    ' "$srcdir/src/lib/conf.c"
}
# table_names, table_defaults, table_ints, table_bounds TABLE - from key_table's output
table_names() {
    printf '%s\n' "$1" | sed -n 's/^[[:space:]]*{"\([A-Za-z0-9_]*\)",.*/\1/p'
}
table_defaults() {
    printf '%s\n' "$1" | sed -n 's/^[[:space:]]*{"\([A-Za-z0-9_]*\)", *CONF_[A-Z]*, *"\([^"]*\)".*/\1 \2/p'
}
table_ints() {
    printf '%s\n' "$1" | sed -n 's/^[[:space:]]*{"\([A-Za-z0-9_]*\)", *CONF_INT,.*/\1/p'
}
table_bounds() {
    printf '%s\n' "$1" |
        sed -n 's/^[[:space:]]*{"\([A-Za-z0-9_]*\)", *CONF_INT, *"[^"]*", *\(-\{0,1\}[0-9][0-9]*\), *\(-\{0,1\}[0-9][0-9]*\),.*/\1 \2 \3/p'
}
conf_table=$(key_table conf_keys)
conf_names=$(table_names "$conf_table")
conf_defaults=$(table_defaults "$conf_table")
conf_ints=$(table_ints "$conf_table")
conf_bounds=$(table_bounds "$conf_table")
# carrier_keys[]: the keys of a [carrier NAME] section
carrier_table=$(key_table carrier_keys)
carrier_names=$(table_names "$carrier_table")
carrier_defaults=$(table_defaults "$carrier_table")
carrier_ints=$(table_ints "$carrier_table")
carrier_bounds=$(table_bounds "$carrier_table")
sender_keys=$(sed -n '/sender_keys\[\] = {/,/NULL/p' "$srcdir/src/lib/sender.c" |
    grep -o '"[A-Za-z0-9_]*"' | tr -d '"')
commands=$(sed -n '/commands\[\] = {/,/^};/p' "$srcdir/src/ctl/ctl_main.c" |
    grep -o '{"[a-z][a-z-]*",' | sed 's/[{",]//g')
options=$(cat "$srcdir"/src/ctl/*.c | grep -o '{"[a-z][a-z-]*", [01], NULL}' |
    sed 's/^{"\([a-z-]*\)".*/\1/' | sort -u)
global_options=$(grep -o 'argv\[i\], "-[-a-z]*"' "$srcdir/src/ctl/ctl_main.c" |
    sed 's/.*"\(-[-a-z]*\)"/\1/' | sort -u)
exit_codes=$(sed -n 's/^[[:space:]]*CTL_[A-Z_]* = \([0-9][0-9]*\),.*/\1/p' "$srcdir/src/ctl/ctl.h")
# smsgate-lmtpd: the letters of its getopt() string; the keys it reads; and
# every reply with an enhanced status code, as a C string literal begins
# ("550 5.1.2 ...), so that a comment's "RFC 5321 4.1.2" is not taken
# prog_opts MAIN.c - the option letters of a program: its own getopt()
# string, or, when it calls daemon_options(), the one in src/lib/daemon.c
prog_opts() {
    o=$(sed -n 's/.*getopt(argc, argv, "\([^"]*\)").*/\1/p' "$1")
    if [ -z "$o" ] && grep -q 'daemon_options(' "$1"; then
        o=$(sed -n '/^daemon_options(/,/^}/p' "$srcdir/src/lib/daemon.c" |
            sed -n 's/.*getopt(argc, argv, "\([^"]*\)").*/\1/p')
    fi
    printf '%s\n' "$o" | tr -d ':' | fold -w 1
}
lmtpd_opts=$(prog_opts "$srcdir/src/lmtpd/lmtpd_main.c")
lmtpd_keys=$(cat "$srcdir"/src/lmtpd/*.c "$srcdir/src/lib/intake.c" | grep -o 'conf->[a-z_]*' |
    sed 's/^conf->//' | sort -u | grep -Fx "$conf_names")
reply_codes=$(cat "$srcdir/src/lib/intake.c" "$srcdir/src/lib/lmtp.c" "$srcdir/src/lmtpd/lmtpd_session.c" |
    grep -oE '"[0-9]{3} [0-9]\.[0-9]{1,3}\.[0-9]{1,3}' | tr -d '"' | sort -u)

# smsgate-dispatchd: its option letters, the keys it reads, its exit codes
# (msg_fatal(N, ...) and exit(N) in dispatchd_main.c, and those of
# daemon_options() when it calls that) and its "action=" log lines
dispatchd_main=$srcdir/src/dispatchd/dispatchd_main.c
dispatchd_opts=$(prog_opts "$dispatchd_main")
dispatchd_keys=$(cat "$srcdir"/src/dispatchd/*.c | grep -o 'conf->[a-z_]*' |
    sed 's/^conf->//' | sort -u | grep -Fx "$conf_names")
dispatchd_exits=$({
    cat "$dispatchd_main"
    if grep -q 'daemon_options(' "$dispatchd_main"; then
        sed -n '/^daemon_options(/,/^}/p' "$srcdir/src/lib/daemon.c"
    fi
} | grep -oE '(msg_fatal|[^_]exit)\([0-9]+' | sed 's/.*(//' | sort -un)
dispatchd_actions=$(grep -oE 'msg_info\("action=[a-z]+' "$dispatchd_main" | sed 's/.*"//' | sort -u)

# smsgate-httpd: the same
httpd_main=$srcdir/src/httpd/httpd_main.c
httpd_opts=$(prog_opts "$httpd_main")
httpd_keys=$(cat "$srcdir"/src/httpd/*.c | grep -o 'conf->[a-z_]*' |
    sed 's/^conf->//' | sort -u | grep -Fx "$conf_names")
httpd_exits=$({
    cat "$httpd_main"
    if grep -q 'daemon_options(' "$httpd_main"; then
        sed -n '/^daemon_options(/,/^}/p' "$srcdir/src/lib/daemon.c"
    fi
} | grep -oE '(msg_fatal|[^_]exit)\([0-9]+' | sed 's/.*(//' | sort -un)
httpd_actions=$(grep -ohE 'msg_info\("action=[a-z]+' "$srcdir"/src/httpd/*.c | sed 's/.*"//' | sort -u)

# an empty list would make every check below pass vacuously
for what in conf_names conf_defaults conf_ints sender_keys commands options global_options exit_codes \
    lmtpd_opts lmtpd_keys reply_codes carrier_names carrier_defaults carrier_ints \
    dispatchd_opts dispatchd_keys dispatchd_exits dispatchd_actions \
    httpd_opts httpd_keys httpd_exits httpd_actions; do
    eval "list=\$$what"
    check "the code's $what can be read ($(printf '%s\n' "$list" | wc -l | tr -d ' ') found)" \
        test -n "$list"
done
nconf=$(printf '%s\n' "$conf_names" | wc -l)
check "every key of conf_keys[] has a readable default" \
    test "$(printf '%s\n' "$conf_defaults" | wc -l)" -eq "$nconf"
check "every integer key of conf_keys[] has readable bounds" \
    test "$(printf '%s\n' "$conf_bounds" | wc -l)" -eq "$(printf '%s\n' "$conf_ints" | wc -l)"
check "every key of carrier_keys[] has a readable default" \
    test "$(printf '%s\n' "$carrier_defaults" | wc -l)" -eq "$(printf '%s\n' "$carrier_names" | wc -l)"
check "every integer key of carrier_keys[] has readable bounds" \
    test "$(printf '%s\n' "$carrier_bounds" | wc -l)" -eq "$(printf '%s\n' "$carrier_ints" | wc -l)"

# --- smsgate.conf(5) and conf/smsgate.conf -------------------------------------

for key in $conf_names; do
    check "smsgate.conf(5) documents key $key" term "$man5" "$key"
done
for key in $carrier_names; do
    check "smsgate.conf(5) documents carrier key $key" term "$man5" "$key"
done
# (here-documents, not pipes: the loops must run in this shell to count)
# an empty default is written "Default: empty"
while read -r key def; do
    text=$(paragraph "$man5" "$key")
    want="Default: ${def:-empty}"
    check "smsgate.conf(5) gives $key the default ${def:-(empty)}" has "$text" "$want"
    has "$text" "$want" || diag "no \"$want\" in: $text"
done <<EOF
$conf_defaults
$carrier_defaults
EOF
while read -r key min max; do
    [ -n "$key" ] || continue
    text=$(paragraph "$man5" "$key")
    check "smsgate.conf(5) gives $key the range $min to $max" has "$text" "$min to $max"
    has "$text" "$min to $max" || diag "no \"$min to $max\" in: $text"
done <<EOF
$conf_bounds
$carrier_bounds
EOF

for key in $conf_names $carrier_names; do
    def=$(printf '%s\n%s\n' "$conf_defaults" "$carrier_defaults" | grep "^$key " | cut -d' ' -f2-)
    check "conf/smsgate.conf has \"$key = $def\"" \
        awk -v want="$key = $def" '
            BEGIN { sub(/[ \t]+$/, "", want) }
            { l = $0; sub(/^#/, "", l); sub(/[ \t]+$/, "", l); if (l == want) f = 1 }
            END { exit !f }' "$sample"
done

if [ -x "$ctl" ]; then
    "$ctl" -c "$sample" db status >"$tmp/out" 2>&1
    rc=$?
    check "smsgatectl loads conf/smsgate.conf (db status exits $rc, not 78)" test "$rc" -ne 78
    [ "$rc" -ne 78 ] || diag "$(cat "$tmp/out")"
    sed 's/^#\([a-z_][a-z0-9_]* =\)/\1/' "$sample" >"$tmp/all.conf"
    "$ctl" -c "$tmp/all.conf" db status >"$tmp/out" 2>&1
    rc=$?
    check "smsgatectl loads conf/smsgate.conf with every key switched on (exit $rc, not 78)" \
        test "$rc" -ne 78
    [ "$rc" -ne 78 ] || diag "$(cat "$tmp/out")"
    printf 'no_such_key = 1\n' >"$tmp/bad.conf"
    "$ctl" -c "$tmp/bad.conf" db status >/dev/null 2>&1
    rc=$?
    check "smsgatectl refuses an unknown key with exit 78 (the check above can fail)" test "$rc" -eq 78
else
    not_ok "smsgatectl is built (SMSGATECTL=$ctl)"
fi

# --- smsgatectl(8) -----------------------------------------------------------

for cmd in $commands; do
    check "smsgatectl(8) documents command $cmd" term "$man8" "$cmd"
done
for opt in $options; do
    check "smsgatectl(8) documents option --$opt" grep -qF -- "$(roff_opt "--$opt")" "$man8"
done
options_section=$(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$man8")
for opt in $global_options; do
    check "smsgatectl(8) OPTIONS documents $opt" \
        eval 'printf "%s\n" "$options_section" | grep -qF -- "$(roff_opt "$opt")"'
done
for key in $sender_keys; do
    check "smsgatectl(8) documents sender setting $key=" term "$man8" "$key" eq
done
exit_section=$(sed -n '/^\.SH "\{0,1\}EXIT STATUS/,/^\.SH /p' "$man8")
for code in $exit_codes; do
    check "smsgatectl(8) EXIT STATUS documents $code" \
        eval 'printf "%s\n" "$exit_section" | grep -Eq "^\\.B $code\$"'
done

# --- smsgate-lmtpd(8) ----------------------------------------------------------

# opt_term PAGE OPTION - OPTIONS of PAGE has a term for -OPTION: a
# ".B \-f" or ".BI \-c ..." line right after .TP or .TQ
opt_term() {
    sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$1" | awk -v o="$2" '
        BEGIN { re = "^\\.BI? +\\\\-" o "( |$)" }
        prev ~ /^\.T[PQ]/ && $0 ~ re { f = 1; exit }
        { prev = $0 }
        END { exit !f }'
}
for opt in $lmtpd_opts; do
    check "smsgate-lmtpd(8) OPTIONS documents -$opt" opt_term "$man8l" "$opt"
done
lmtpd_conf=$(sed -n '/^\.SH CONFIGURATION/,/^\.SH /p' "$man8l")
for key in $lmtpd_keys; do
    check "smsgate-lmtpd(8) CONFIGURATION names key $key" has "$lmtpd_conf" "$key"
done
while read -r code; do
    [ -n "$code" ] || continue
    check "smsgate-lmtpd(8) documents reply $code" grep -qF -- "$code" "$man8l"
done <<EOF
$reply_codes
EOF

if [ -x "$lmtpd" ]; then
    "$lmtpd" -n -c "$sample" >"$tmp/out" 2>&1
    rc=$?
    check "smsgate-lmtpd -n -c conf/smsgate.conf exits 0 (exit $rc)" test "$rc" -eq 0
    [ "$rc" -eq 0 ] || diag "$(cat "$tmp/out")"
    sed 's/^#\([a-z_][a-z0-9_]* =\)/\1/' "$sample" >"$tmp/all.conf"
    "$lmtpd" -n -c "$tmp/all.conf" >"$tmp/out" 2>&1
    rc=$?
    check "smsgate-lmtpd -n accepts conf/smsgate.conf with every key switched on (exit $rc)" \
        test "$rc" -eq 0
    [ "$rc" -eq 0 ] || diag "$(cat "$tmp/out")"
    printf 'no_such_key = 1\n' >"$tmp/bad.conf"
    "$lmtpd" -n -c "$tmp/bad.conf" >/dev/null 2>&1
    rc=$?
    check "smsgate-lmtpd -n refuses an unknown key with exit 78 (the checks above can fail)" \
        test "$rc" -eq 78
else
    not_ok "smsgate-lmtpd is built (SMSGATE_LMTPD=$lmtpd)"
fi

# --- smsgate-dispatchd(8) ------------------------------------------------------

for opt in $dispatchd_opts; do
    check "smsgate-dispatchd(8) OPTIONS documents -$opt" opt_term "$man8d" "$opt"
done
dispatchd_conf=$(sed -n '/^\.SH CONFIGURATION/,/^\.SH /p' "$man8d")
for key in $dispatchd_keys; do
    check "smsgate-dispatchd(8) CONFIGURATION names key $key" has "$dispatchd_conf" "$key"
done
for key in $carrier_names; do
    check "smsgate-dispatchd(8) CONFIGURATION names carrier key $key" has "$dispatchd_conf" "$key"
done
for action in $dispatchd_actions; do
    check "smsgate-dispatchd(8) documents the log line $action" grep -qF -- "$action" "$man8d"
done
exit_section=$(sed -n '/^\.SH "\{0,1\}EXIT STATUS/,/^\.SH /p' "$man8d")
for code in $dispatchd_exits; do
    check "smsgate-dispatchd(8) EXIT STATUS documents $code" \
        eval 'printf "%s\n" "$exit_section" | grep -Eq "^\\.B $code\$"'
done

# the example of CARRIER SECTIONS in smsgate.conf(5): the .EX block after
# the comment that names this test, roff escapes undone
awk '
    /docs_test\.sh runs smsgate-dispatchd -n on the next example/ { on = 1; next }
    on && /^\.EX/ { ex = 1; next }
    on && ex && /^\.EE/ { exit }
    on && ex { print }
' "$man5" | sed -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\e/\\/g' >"$tmp/example.conf"
example_carriers=$(grep -c '^\[carrier ' "$tmp/example.conf")
check "smsgate.conf(5) has a carrier example ($example_carriers sections)" test "$example_carriers" -ge 2

if [ -x "$dispatchd" ]; then
    "$dispatchd" -n -c "$sample" >"$tmp/out" 2>&1
    rc=$?
    check "smsgate-dispatchd -n -c conf/smsgate.conf exits 0 (exit $rc)" test "$rc" -eq 0
    [ "$rc" -eq 0 ] || diag "$(cat "$tmp/out")"
    sed 's/^#\([a-z_][a-z0-9_]* =\)/\1/' "$sample" >"$tmp/all.conf"
    "$dispatchd" -n -c "$tmp/all.conf" >"$tmp/out" 2>&1
    rc=$?
    check "smsgate-dispatchd -n accepts conf/smsgate.conf with every key switched on (exit $rc)" \
        test "$rc" -eq 0
    [ "$rc" -eq 0 ] || diag "$(cat "$tmp/out")"
    "$dispatchd" -n -c "$tmp/example.conf" >"$tmp/out" 2>&1
    rc=$?
    check "smsgate-dispatchd -n accepts the carrier example of smsgate.conf(5) (exit $rc)" \
        grep -q "valid ($example_carriers carriers)" "$tmp/out"
    grep -q "valid ($example_carriers carriers)" "$tmp/out" || diag "$(cat "$tmp/out")"
    printf 'no_such_key = 1\n' >"$tmp/bad.conf"
    "$dispatchd" -n -c "$tmp/bad.conf" >/dev/null 2>&1
    rc=$?
    check "smsgate-dispatchd -n refuses an unknown key with exit 78 (the checks above can fail)" \
        test "$rc" -eq 78
    printf '[carrier x]\nno_such_key = 1\n' >"$tmp/bad.conf"
    "$dispatchd" -n -c "$tmp/bad.conf" >/dev/null 2>&1
    rc=$?
    check "smsgate-dispatchd -n refuses an unknown carrier key with exit 78" test "$rc" -eq 78
else
    not_ok "smsgate-dispatchd is built (SMSGATE_DISPATCHD=$dispatchd)"
fi

# --- every page ----------------------------------------------------------------

# --- smsgate-httpd(8) -----------------------------------------------------------
for opt in $httpd_opts; do
    check "smsgate-httpd(8) OPTIONS documents -$opt" opt_term "$man8h" "$opt"
done
httpd_conf=$(sed -n '/^\.SH CONFIGURATION/,/^\.SH /p' "$man8h")
for key in $httpd_keys callback_secret callback_networks; do
    check "smsgate-httpd(8) CONFIGURATION names key $key" has "$httpd_conf" "$key"
done
for action in $httpd_actions; do
    check "smsgate-httpd(8) documents the log line $action" grep -qF -- "$action" "$man8h"
done
exit_section=$(sed -n '/^\.SH "\{0,1\}EXIT STATUS/,/^\.SH /p' "$man8h")
for code in $httpd_exits; do
    check "smsgate-httpd(8) EXIT STATUS documents $code" \
        eval 'printf "%s\n" "$exit_section" | grep -Eq "^\.B $code\$"'
done
if [ -x "$httpd" ]; then
    "$httpd" -n -c "$sample" >"$tmp/out" 2>&1
    rc=$?
    check "smsgate-httpd -n -c conf/smsgate.conf exits 0 (exit $rc)" test "$rc" -eq 0
    printf 'database = x\nfrobnicate = 1\n' >"$tmp/bad.conf"
    "$httpd" -n -c "$tmp/bad.conf" >/dev/null 2>&1
    rc=$?
    check "smsgate-httpd -n refuses an unknown key with exit 78" test "$rc" -eq 78
else
    not_ok "smsgate-httpd is built (SMSGATE_HTTPD=$httpd)"
fi

# --- smsgate-milter(8) -----------------------------------------------------------
# its options; the keys it reads (conf->key in src/milter/*.c, and those
# intake_check() reads for it); every reply "NNN N.N.N" of
# src/milter/*.c and the RCPT replies of intake_check(); its "action="
# log lines; its exit codes
man8m=$srcdir/man/smsgate-milter.8
milter=${SMSGATE_MILTER:-${top_builddir:-.}/src/milter/smsgate-milter}
milter_main=$srcdir/src/milter/milter_main.c
milter_opts=$(prog_opts "$milter_main")
milter_keys=$({
    cat "$srcdir"/src/milter/*.c | grep -o 'conf->[a-z_]*' | sed 's/^conf->//'
    printf '%s\n' authserv_id trusted_authserv_ids insufficient_credit
} | sort -u | grep -Fx "$conf_names")
milter_replies=$({
    cat "$srcdir"/src/milter/*.c
    sed -n '/^intake_rcpt(/,/^}/p;/^decide(/,/^}/p;/^refusal_reply(/,/^}/p' "$srcdir/src/lib/intake.c"
    grep -E '^#define (TEMPFAIL|TOO_LONG)' "$srcdir/src/lib/intake.c"
} | grep -oE '"[0-9]{3} [0-9]\.[0-9]{1,3}\.[0-9]{1,3}' | tr -d '"' | sort -u)
milter_exits=$({
    cat "$milter_main"
    sed -n '/^daemon_options(/,/^}/p' "$srcdir/src/lib/daemon.c"
} | grep -oE '(msg_fatal|[^_]exit)\([0-9]+|MI_SUCCESS \? 0 : [0-9]+' | sed 's/.*[( ]//' | sort -un)
milter_actions=$(grep -ohE 'action=[a-z]+' "$srcdir"/src/milter/*.c | sort -u)
for what in milter_opts milter_keys milter_replies milter_exits milter_actions; do
    eval "list=\$$what"
    check "the code's $what can be read ($(printf '%s\n' "$list" | wc -l | tr -d ' ') found)" \
        test -n "$list"
done
for opt in $milter_opts; do
    check "smsgate-milter(8) OPTIONS documents -$opt" opt_term "$man8m" "$opt"
done
milter_conf=$(sed -n '/^\.SH CONFIGURATION/,/^\.SH /p' "$man8m")
for key in $milter_keys; do
    check "smsgate-milter(8) CONFIGURATION names key $key" has "$milter_conf" "$key"
done
while read -r code; do
    [ -n "$code" ] || continue
    check "smsgate-milter(8) documents reply $code" grep -qF -- "$code" "$man8m"
done <<EOF
$milter_replies
EOF
for action in $milter_actions; do
    check "smsgate-milter(8) documents the log line $action" grep -qF -- "$action" "$man8m"
done
exit_section=$(sed -n '/^\.SH "\{0,1\}EXIT STATUS/,/^\.SH /p' "$man8m")
for code in $milter_exits; do
    check "smsgate-milter(8) EXIT STATUS documents $code" \
        eval 'printf "%s\n" "$exit_section" | grep -Eq "^\.B $code\$"'
done
if [ -x "$milter" ]; then
    "$milter" -n -c "$sample" >"$tmp/out" 2>&1
    rc=$?
    check "smsgate-milter -n -c conf/smsgate.conf exits 0 (exit $rc)" test "$rc" -eq 0
    [ "$rc" -eq 0 ] || diag "$(cat "$tmp/out")"
    sed 's/^#\([a-z_][a-z0-9_]* =\)/\1/' "$sample" >"$tmp/all.conf"
    "$milter" -n -c "$tmp/all.conf" >"$tmp/out" 2>&1
    rc=$?
    check "smsgate-milter -n accepts conf/smsgate.conf with every key switched on (exit $rc)" \
        test "$rc" -eq 0
    [ "$rc" -eq 0 ] || diag "$(cat "$tmp/out")"
    printf 'no_such_key = 1\n' >"$tmp/bad.conf"
    "$milter" -n -c "$tmp/bad.conf" >/dev/null 2>&1
    rc=$?
    check "smsgate-milter -n refuses an unknown key with exit 78" test "$rc" -eq 78
    printf 'milter_listen = /no/scheme.sock\n' >"$tmp/bad.conf"
    "$milter" -n -c "$tmp/bad.conf" >/dev/null 2>&1
    rc=$?
    check "smsgate-milter -n refuses a milter_listen without a scheme with exit 78" test "$rc" -eq 78
else
    not_ok "smsgate-milter is built (SMSGATE_MILTER=$milter)"
fi

for page in "$man8" "$man8l" "$man8d" "$man8h" "$man8m" "$man5" "$man7"; do
    name=$(basename "$page")
    missing=
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS CONFIGURATION SECURITY FILES "EXIT STATUS" "SEE ALSO"; do
        grep -Eq "^\\.SH \"?$section\"?\$" "$page" || missing="$missing [$section]"
    done
    check "$name has the sections of STYLE.md${missing:+, missing$missing}" test -z "$missing"
    if command -v groff >/dev/null 2>&1; then
        groff -man -Tutf8 -ww -z "$page" >"$tmp/groff" 2>&1
        check "groff finds nothing to warn about in $name" test ! -s "$tmp/groff"
        [ ! -s "$tmp/groff" ] || diag "$(cat "$tmp/groff")"
    else
        n=$((n + 1))
        echo "ok $n # SKIP groff not installed ($name)"
    fi
done

echo "1..$n"
[ "$failed" -eq 0 ]
