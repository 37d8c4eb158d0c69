. "$CONFORMANCE_LIB/watch.sh"
start -j1
built 1
echo a2 > src/a.c
wait_for '"build_start","build":2'
sleep 0.1
echo b2 > src/b.c
built 3
stop
show
