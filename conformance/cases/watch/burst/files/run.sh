. "$CONFORMANCE_LIB/watch.sh"
start -j1 --debounce 200
built 1
i=0
while [ $i -lt 200 ]; do echo $i > src/a.c; i=$((i + 1)); done
built 2
sleep 0.4
stop
show
