/* html.c - to be written */
#include "config.h"
#include "html.h"
