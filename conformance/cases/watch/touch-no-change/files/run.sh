. "$CONFORMANCE_LIB/watch.sh"
start -j1
built 1
touch -r src/a.c src/a.c
cat src/a.c >/dev/null
sleep 0.2
echo b2 > src/b.c
built 2
stop
show
