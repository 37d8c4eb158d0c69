#include "calc.h"
int calc_add(int a, int b) { return a + b; }
