/*
 * fuzz_mime.c - libFuzzer target for mime_parse() and html_to_text()
 *
 * Every input is parsed both as a whole mail (nesting limited to 20, as
 * smsgate-lmtpd does) and as an HTML body; everything is freed, so the
 * leak checker sees a leak as a crash. Seeds: tests/fuzz/seeds/mime.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I<builddir> -Isrc/lib \
 *       $(pkg-config --cflags libetpan libxml-2.0) tests/fuzz/fuzz_mime.c \
 *       src/lib/{mime,html,xalloc,msg}.c $(pkg-config --libs libetpan libxml-2.0) \
 *       -o fuzz_mime
 *   ./fuzz_mime -max_total_time=120 corpus-dir tests/fuzz/seeds/mime
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - one input, as a mail and as HTML */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct mime_limits lim = {.max_depth = 20};
    struct mime_text r;
    char *error = NULL;
    if (mime_parse((const char *)data, size, &lim, &r, &error) == 0) {
        /* what callers rely on: NUL-terminated strings, no line end in a header */
        for (int i = 0; i < r.nheaders; i++)
            if (strchr(r.headers[i].value, '\n') || strchr(r.headers[i].name, ':'))
                abort();
        if (r.body && (strchr(r.body, '\r') || r.body[0] == 0))
            abort();
        mime_text_free(&r);
    } else if (!error) {
        abort();
    }
    free(error);
    char *text = html_to_text((const char *)data, size);
    free(text);
    return 0;
}
