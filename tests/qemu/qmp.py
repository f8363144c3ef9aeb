#!/usr/bin/env python3
"""qmp.py - send QMP commands to a running QEMU (hot-plug a disk into a guest).

Usage: qmp.py SOCKET COMMAND...   where each COMMAND is one of
  wait SECONDS                   sleep
  add-nvme ID SERIAL IMAGE       attach IMAGE (raw) as an NVMe controller+namespace
  add-sata ID SERIAL IMAGE BUS   attach to an AHCI port (BUS e.g. ahci.1; needs --sata)
  del ID                         unplug device ID (the guest sees it go away)
  raw JSON                       any QMP command, e.g. '{"execute":"query-pci"}'
Start the guest with: tests/qemu/run-guest.sh --qemu-arg -qmp --qemu-arg unix:SOCKET,server=on,wait=off ...
Prints each reply; exits 1 on the first QMP error.
"""
import json, socket, sys, time

def main(argv):
    if len(argv) < 2:
        print(__doc__); return 2
    sock, args = argv[0], argv[1:]
    err = None
    for _ in range(300):                       # the guest may still be starting
        s = socket.socket(socket.AF_UNIX)      # a fresh socket each try
        try:
            s.connect(sock); break
        except OSError as e:
            err = e
            s.close()
            time.sleep(0.1)
    else:
        import os
        print(f"qmp: cannot connect to {sock} in 30 s: {err} "
              f"({'the socket is there' if os.path.exists(sock) else 'no such socket'})", file=sys.stderr)
        return 1
    f = s.makefile("rw")
    f.readline()                               # greeting

    def cmd(c):
        f.write(json.dumps(c) + "\n"); f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:  # skip asynchronous events
                print(c["execute"], json.dumps(r.get("return", r.get("error"))))
                if "error" in r:
                    sys.exit(1)
                return r

    cmd({"execute": "qmp_capabilities"})
    while args:
        op = args.pop(0)
        if op == "wait":
            time.sleep(float(args.pop(0)))
        elif op in ("add-nvme", "add-sata"):
            dev_id, serial, image = args.pop(0), args.pop(0), args.pop(0)
            node = dev_id + "-drive"
            cmd({"execute": "blockdev-add", "arguments": {"driver": "raw", "node-name": node,
                 "file": {"driver": "file", "filename": image}}})
            dev = {"id": dev_id, "serial": serial, "drive": node}
            if op == "add-nvme":
                dev["driver"] = "nvme"
            else:
                dev.update(driver="ide-hd", bus=args.pop(0))
            cmd({"execute": "device_add", "arguments": dev})
        elif op == "del":
            cmd({"execute": "device_del", "arguments": {"id": args.pop(0)}})
        elif op == "raw":
            cmd(json.loads(args.pop(0)))
        else:
            print(f"qmp: unknown command {op}", file=sys.stderr); return 2
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
