#!/bin/sh
# usage: mkversion.sh VERSION OUTPUT
printf '#define CALC_VERSION "%s"\n' "$1" > "$2"
