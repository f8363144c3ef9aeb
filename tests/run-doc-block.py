#!/usr/bin/env python3
"""run-doc-block.py - run a documented command block the way a person
would: in one interactive bash, one command at a time, answering prompts.

usage: run-doc-block.py BLOCKFILE WORKDIR SUBST...

BLOCKFILE holds the block as the document shows it (comments and "\\"
continuations as written). Each SUBST is FROM=TO, a documented
substitution applied to every command before it is typed (an image file
for /dev/sdb, scratch directories for /etc/wipecert and /var/lib/wipecert).
The placeholder CASE becomes, once `wipecert pending` has run, the case
ID it lists (as a person reads it off the screen); it must be in pending's
own output. One shell runs the whole block, so `export` and `cd` carry on.

Prompts answered: a key's passphrase (PASSPHRASE from the environment)
and its confirmation, "Type the path P to confirm" (P), "[y/N]" (y).
Any other prompt times out. A command that fails stops the run with its
output; exit 0 when every command succeeded.
"""
import json
import os
import re
import sys

import pexpect

RC = r"__DOC_RC=(\d+)__"
PROMPTS = [
    r"passphrase for [^\r\n]*: ",
    r"again: ",
    r"Type the path (\S+) to confirm: ",
    r"\[y/N\] ",
    RC,
]


def shell(workdir, timeout):
    """An interactive bash on a pty whose prompt is the last exit status."""
    env = dict(os.environ, TERM="dumb", PS1="")
    sh = pexpect.spawn("bash", ["--norc", "--noprofile", "-i"], cwd=workdir, env=env,
                       encoding="utf-8", timeout=timeout)
    sh.sendline("stty -echo; PS2=''; PS1='\\n__DOC_RC=$?__\\n'")
    sh.expect(RC)
    return sh


def commands(text):
    """The block's commands: continuations joined, comments and blank lines
    dropped (bash drops them too)."""
    out, cur = [], ""
    for line in text.splitlines():
        if cur == "" and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        out.append(cur + line)
        cur = ""
    if cur:
        out.append(cur)
    return out


def run(sh, n, cmd, passphrase):
    """Type cmd, answer its prompts; its output and exit status."""
    out = []
    sh.sendline(cmd)
    while True:
        try:
            i = sh.expect(PROMPTS)
        except pexpect.TIMEOUT:
            sys.exit("run-doc-block: [%d] waits for an answer nobody documented:\n%s%s"
                     % (n, "".join(out), sh.before))
        except pexpect.EOF:
            sys.exit("run-doc-block: [%d] the shell ended:\n%s%s" % (n, "".join(out), sh.before))
        out.append(sh.before)
        if i in (0, 1):
            out.append(sh.after)
            sh.sendline(passphrase)
        elif i == 2:
            out.append(sh.after)
            sh.sendline(sh.match.group(1))
        elif i == 3:
            out.append(sh.after)
            sh.sendline("y")
        else:
            return "".join(out), int(sh.match.group(1))


def main():
    block, workdir, substs = sys.argv[1], sys.argv[2], sys.argv[3:]
    pairs = [s.split("=", 1) for s in substs]
    passphrase = os.environ.get("PASSPHRASE", "readme passphrase")
    case = None
    cmds = commands(open(block, encoding="utf-8").read())
    if not cmds:
        sys.exit("run-doc-block: no commands in the block")
    sh = shell(workdir, int(os.environ.get("STEP_TIMEOUT", "300")))
    for n, cmd in enumerate(cmds, 1):
        for a, b in pairs:
            cmd = cmd.replace(a, b)
        if "CASE" in cmd:
            if case is None:
                sys.exit("run-doc-block: '%s' needs a case, but pending has listed none" % cmd)
            cmd = cmd.replace("CASE", case)
        print("run-doc-block: [%d] %s" % (n, cmd), file=sys.stderr)
        text, rc = run(sh, n, cmd, passphrase)
        if rc != 0:
            sys.exit("run-doc-block: [%d] %s: exit %d\n%s" % (n, cmd, rc, text))
        words = cmd.split("#")[0].split()
        if words[:2] == ["wipecert", "pending"]:
            # what the person reads off the screen, read as JSON here
            listing = os.path.join(workdir, ".pending.json")
            _, rc = run(sh, n, " ".join(words) + " --json >" + listing, passphrase)
            cases = json.load(open(listing))["cases"] if rc == 0 else []
            os.unlink(listing)
            if len(cases) != 1:
                sys.exit("run-doc-block: pending lists %d cases, want 1" % len(cases))
            case = cases[0]["id"]
            if case not in text:
                sys.exit("run-doc-block: pending does not show the case %s to a person:\n%s" % (case, text))
    sh.sendline("exit")
    sh.expect(pexpect.EOF)
    print("run-doc-block: %d commands ran" % len(cmds), file=sys.stderr)


if __name__ == "__main__":
    main()
