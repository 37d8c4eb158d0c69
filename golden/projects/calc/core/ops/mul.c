#include "calc.h"
int calc_mul(int a, int b) { return a * b; }
