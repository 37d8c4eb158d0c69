#include <cstdio>
#include "geom/shapes.h"
int main() { std::printf("%s %f\n", shapes_name(), circle_area(1.0)); }
