#include "geom/shapes.h"
double circle_area(double r) { return 3.14159 * r * r; }
