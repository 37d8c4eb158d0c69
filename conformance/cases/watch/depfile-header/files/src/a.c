a
#include inc/h.h
