. "$CONFORMANCE_LIB/watch.sh"
start -j1
built 1
echo h2 > inc/h.h
built 2
stop
show
