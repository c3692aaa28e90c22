/* gsm.c - to be written */
#include "config.h"
#include "gsm.h"
