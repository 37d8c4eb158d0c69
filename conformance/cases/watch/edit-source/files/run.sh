. "$CONFORMANCE_LIB/watch.sh"
start -j1
built 1
echo a2 > src/a.c
built 2
stop
show
