#include <stdio.h>
#include "calc.h"
#include "version.h"
int main(void) { printf("%s %d\n", calc_version(), calc_mul(calc_add(1, 2), 3)); return 0; }
