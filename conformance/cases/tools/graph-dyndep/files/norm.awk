{ while (match($0, /0x[0-9a-f]+/)) { p = substr($0, RSTART, RLENGTH); if (!(p in m)) m[p] = "P" (++n); $0 = substr($0, 1, RSTART - 1) m[p] substr($0, RSTART + RLENGTH) } print }
