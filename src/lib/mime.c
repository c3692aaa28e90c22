/* mime.c - to be written */
#include "config.h"
#include "mime.h"
