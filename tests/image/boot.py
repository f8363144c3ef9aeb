#!/usr/bin/env python3
"""boot.py - boot the wipecert stick in QEMU (TCG) and play the technician
on its serial console: answer the passphrase prompt once, then wait for
the stick to power off by itself (stick.conf: auto, when_done=poweroff).

    boot.py LOG PASSPHRASE TIMEOUT [--cut-after REGEX] -- qemu-system-x86_64 ARGS...

With --cut-after, the power is cut (QEMU killed, nothing flushed by the
guest) as soon as the console shows REGEX after the passphrase: "cut" is
then its time, and the exit is 0 when the cut happened.

Prints one JSON line: the seconds from QEMU's start to GRUB's menu, to the
passphrase prompt (the station's first screen), to the power-off, and
QEMU's exit status. Exit 0 when QEMU ended by the guest's power-off
after the prompt was answered; 1 otherwise (the log says where it stopped).
"""
import json
import signal
import sys
import time

import pexpect


class TimedLog:
    """The console as it came (less its carriage returns), each line headed by the seconds since QEMU
    started ("[  12.3] "), so that a slow boot shows where it spent them."""

    def __init__(self, f, t0):
        self.f, self.t0, self.bol = f, t0, True

    def write(self, data):
        data = data.replace(b"\r", b"")
        for line in data.splitlines(keepends=True):
            if self.bol:
                self.f.write(b"[%6.1f] " % (time.monotonic() - self.t0))
            self.f.write(line)
            self.bol = line.endswith(b"\n")

    def flush(self):
        self.f.flush()


def main():
    log, passphrase, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    dash = sys.argv.index("--")
    opts = sys.argv[4:dash]
    cut = opts[opts.index("--cut-after") + 1].encode() if "--cut-after" in opts else None
    cmd = sys.argv[dash + 1:]
    t0 = time.monotonic()
    out = {"grub": None, "prompt": None, "poweroff": None, "exit": None}
    if cut:
        out["cut"] = None
    with open(log, "wb") as f:
        child = pexpect.spawn(cmd[0], cmd[1:], timeout=timeout, logfile=TimedLog(f, t0))
        try:
            # GRUB's menu on the serial port (its default entry boots after 3 s)
            child.expect([b"wipecert stick", pexpect.TIMEOUT], timeout=min(timeout, 300))
            out["grub"] = round(time.monotonic() - t0, 1)
            child.expect(b"passphrase for [^\r\n]*: ")
            out["prompt"] = round(time.monotonic() - t0, 1)
            child.sendline(passphrase)
            left = max(1.0, timeout - (time.monotonic() - t0))
            if cut:
                child.expect(cut, timeout=left)
                child.kill(signal.SIGKILL)
                out["cut"] = round(time.monotonic() - t0, 1)
            else:
                child.expect(pexpect.EOF, timeout=left)
                out["poweroff"] = round(time.monotonic() - t0, 1)
        except pexpect.TIMEOUT:
            out["error"] = "timeout"
        except pexpect.EOF:
            out["error"] = "qemu ended before the passphrase prompt"
        finally:
            child.close(force=True)
            out["exit"] = child.exitstatus if child.exitstatus is not None else child.signalstatus
    print(json.dumps(out))
    if cut:
        ok = out["cut"] is not None
    else:
        ok = out["prompt"] is not None and out["poweroff"] is not None and out["exit"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
