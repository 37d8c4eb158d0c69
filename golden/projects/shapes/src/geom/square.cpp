#include "geom/shapes.h"
double square_area(double s) { return s * s; }
