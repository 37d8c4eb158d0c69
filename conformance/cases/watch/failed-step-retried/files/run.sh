. "$CONFORMANCE_LIB/watch.sh"
start -j1
built 1
echo fixed > src/a.c
built 2
stop
show
