"""usage: on_tty.py [--stderr] COLS CMD

Runs `sh -c CMD` with its stdout (and stderr, with --stderr) on a new
pseudo-terminal COLS columns wide (0 = width unknown) and copies what it
printed there, byte for byte, to stdout; exits with the command's status.
Output processing is off, so a newline stays one byte. Used by the
smart-terminal conformance cases and tests/smart_terminal.rs."""
import fcntl, os, pty, struct, subprocess, sys, termios
args = sys.argv[1:]
both = args[0] == "--stderr"
if both:
    args = args[1:]
cols, cmd = int(args[0]), args[1]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
attrs = termios.tcgetattr(slave)
attrs[1] &= ~termios.OPOST
termios.tcsetattr(slave, termios.TCSANOW, attrs)
child = subprocess.Popen(["sh", "-c", cmd], stdin=subprocess.DEVNULL, stdout=slave,
                         stderr=slave if both else None)
os.close(slave)
out = bytearray()
while True:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
code = child.wait()
sys.stdout.buffer.write(bytes(out))
sys.exit(code)
