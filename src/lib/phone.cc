// phone.cc - to be written
#include "config.h"
#include "phone.h"
