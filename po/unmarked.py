#!/usr/bin/env python3
"""unmarked.py FILE... - messages the command layer prints without marking
them for translation: the literal format of log_error(), log_warn(),
log_info(), log_error_errno(), usage_error(), printf(), fprintf() and
fputs() that holds English words and is not inside _() (po/check.sh runs
it on src/main.c, src/cli/ and src/station/). Prints "FILE:LINE: text"
for each and exits 1 if there is one.

Not a message: a format without an English word of three letters or more
once the conversions are taken away ("%s: %s\\n", "wipecert %s\\n"), JSON
("{..."), and a line that says why with a comment holding "not translated"."""
import re
import sys

CALLS = {"log_error": 0, "log_warn": 0, "log_info": 0, "printf": 0, "puts": 0,
         "log_error_errno": 1, "usage_error": 1, "fprintf": 1, "fputs": 0}
CALL = re.compile(r"\b(" + "|".join(CALLS) + r")\s*\(")
LITERALS = re.compile(r'^\s*("(?:[^"\\]|\\.)*"\s*)+$', re.S)
CONVERSION = re.compile(r"%[-#0-9.*'+ ]*(?:hh|h|ll|l|z|j|t|L)?[a-zA-Z]")
NAMES = {"wipecert"}


def arguments(s, i):
    """The spans of a call's arguments; s[i] follows its '('."""
    spans, depth, start, j = [], 0, i, i
    while j < len(s):
        c = s[j]
        if c in "\"'":
            j += 1
            while s[j] != c:
                j += 2 if s[j] == "\\" else 1
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                spans.append((start, j))
                return spans
            depth -= 1
        elif c == "," and depth == 0:
            spans.append((start, j))
            start = j + 1
        j += 1
    return spans


def main():
    bad = 0
    for path in sys.argv[1:]:
        src = open(path, encoding="utf-8").read()
        lines = src.split("\n")
        for m in CALL.finditer(src):
            spans = arguments(src, m.end())
            k = CALLS[m.group(1)]
            if len(spans) <= k:
                continue
            a, b = spans[k]
            arg = src[a:b]
            if not LITERALS.match(arg):
                continue
            text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', arg))
            plain = re.sub(r"\\(x[0-9a-fA-F]+|[0-7]{1,3}|.)", " ", CONVERSION.sub(" ", text))
            words = [w for w in re.findall(r"[A-Za-z]{3,}", plain)
                     if w.lower() not in NAMES]
            if not words or text.lstrip().startswith("{"):
                continue
            line = src.count("\n", 0, a) + 1
            if "not translated" in lines[line - 1] or (line > 1 and "not translated" in lines[line - 2]):
                continue
            bad += 1
            print(f"{path}:{line}: {m.group(1)}(\"{text[:70]}\")")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
