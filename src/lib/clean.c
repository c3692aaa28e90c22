/* clean.c - to be written */
#include "config.h"
#include "clean.h"
