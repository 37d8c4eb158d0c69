#include "geom/shapes.h"
int main() { return square_area(2.0) == 4.0 ? 0 : 1; }
