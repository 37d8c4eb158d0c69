"""Runs a shell command with its stdout on a pseudo-terminal of the given
width (0 = unknown) and copies what it printed, byte for byte, to stdout.
Output processing is off, so a newline stays one byte."""
import fcntl, os, pty, struct, subprocess, sys, termios
cols, cmd = int(sys.argv[1]), sys.argv[2]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
attrs = termios.tcgetattr(slave)
attrs[1] &= ~termios.OPOST
termios.tcsetattr(slave, termios.TCSANOW, attrs)
child = subprocess.Popen(["sh", "-c", cmd], stdin=subprocess.DEVNULL, stdout=slave)
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
