. "$CONFORMANCE_LIB/watch.sh"
start -j1
built 1
echo swap > src/.a.c.swp
echo > src/4913
rm src/4913
echo lock > 'src/.#a.c'
mv src/a.c 'src/a.c~'
echo a2 > src/a.c
rm 'src/a.c~' 'src/.#a.c'
built 2
echo swap2 > src/.a.c.swp
echo backup > 'src/b.c~'
sleep 0.2
echo b2 > src/b.c
built 3
stop
show
