. "$CONFORMANCE_LIB/watch.sh"
start -j1
wait_for '"generation":1,'
sleep 0.1
cp good.ninja build.ninja
built 1
stop
cat build.err
show
