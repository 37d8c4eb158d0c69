#include "geom/shapes.h"
#include "config.h"
const char *shapes_name() { return SHAPES_NAME; }
