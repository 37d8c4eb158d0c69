# Shared by the watch conformance cases (`. "$CONFORMANCE_LIB/watch.sh"`):
# drives `$NINJA --watch` for a case: start it, wait on its JSON events (at
# most 20 s per wait), stop it, show the events.
start() {
  $NINJA --watch --watch-events events.jsonl "$@" >build.out 2>build.err &
  pid=$!
}
# wait_for PATTERN: until a line of events.jsonl contains PATTERN.
wait_for() {
  i=0
  while ! grep -q -F -- "$1" events.jsonl 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 2000 ]; then
      echo "timed out waiting for $1"
      cat events.jsonl
      stop
      exit 1
    fi
    sleep 0.01
  done
}
# built N: until build N has ended and the watches after it are in place.
built() {
  wait_for "\"build\":$1,\"result\""
  wait_for "\"generation\":$(($1 + 1)),"
}
stop() {
  kill $pid 2>/dev/null
  wait $pid 2>/dev/null
}
show() {
  grep -v '"event":"watching"' events.jsonl
}
