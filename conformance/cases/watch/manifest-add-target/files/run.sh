. "$CONFORMANCE_LIB/watch.sh"
start -j1
built 1
echo c > src/c.c
echo 'build out/c.o: cc src/c.c' >> build.ninja
built 2
stop
show
