/*
 * fuzz_field.c - libFuzzer target for field_get() and field_form_decode()
 *
 * Carriers' answers and callbacks come from the network: whatever a
 * carrier (or anyone who learned a callback URL) sends must not crash
 * smsgate-dispatchd or smsgate-httpd. The input's first line is the path,
 * the rest the text. Beyond surviving, it checks what field.h promises: a
 * value found is a NUL-terminated string no longer than the text (JSON
 * escapes only shrink... or name a number as written), a form value
 * decodes in place to at most its own length.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I<builddir> -Isrc/lib \
 *	    tests/fuzz/fuzz_field.c src/lib/{field,xalloc,msg}.c -ljson-c -o fuzz_field
 *	./fuzz_field -max_total_time=60 tests/fuzz/seeds/field
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *in = xmalloc(size + 1);
    memcpy(in, data, size);
    in[size] = 0;
    char *nl = strchr(in, '\n');
    const char *path = nl ? in : "id";
    const char *text = nl ? nl + 1 : in;
    if (nl)
        *nl = 0;
    char *v = field_get(text, path);
    if (v != NULL) {
        size_t n = strlen(v);
        if (!field_is_json(text) && n > strlen(text))
            abort();
        xfree(v);
    }
    (void)field_is_json(text);
    (void)field_in_list(text, path);
    char *copy = xstrdup(text);
    size_t before = strlen(copy);
    if (field_form_decode(copy) > before)
        abort();
    xfree(copy);
    xfree(in);
    return 0;
}
