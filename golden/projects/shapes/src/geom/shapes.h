double circle_area(double r);
double square_area(double s);
const char *shapes_name();
