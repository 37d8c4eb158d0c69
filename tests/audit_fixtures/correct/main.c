#include <stdio.h>
#include "gen/version.h"
#include "util.h"
int main(void) { printf("%d\n", VERSION + UTIL); return 0; }
