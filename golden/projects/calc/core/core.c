#include "calc.h"
#include "version.h"
const char *calc_version(void) { return CALC_VERSION; }
