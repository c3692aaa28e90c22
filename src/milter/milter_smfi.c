/*
 * milter_smfi.c - the libmilter calls behind the callbacks' table
 *
 * The only file of the callbacks' side that links with libmilter; the
 * unit test puts a table of its own in its place.
 */
#include "config.h"

#include "milter.h"

const struct milter_smfi milter_smfi_libmilter = {
    .getpriv = smfi_getpriv,
    .setpriv = smfi_setpriv,
    .getsymval = smfi_getsymval,
    .setreply = smfi_setreply,
    .insheader = smfi_insheader,
    .chgheader = smfi_chgheader,
};
