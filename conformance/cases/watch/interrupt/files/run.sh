. "$CONFORMANCE_LIB/watch.sh"
# Started from a script, a background job ignores SIGINT; give it back the
# default disposition, as a terminal's foreground job has.
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' $NINJA --watch --watch-events events.jsonl -j1 >build.out 2>build.err &
pid=$!
built 1
kill -INT $pid
wait $pid
echo "exit $?"
