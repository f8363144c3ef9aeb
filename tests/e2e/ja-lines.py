#!/usr/bin/env python3
"""ja-lines.py - the lines of wipecert's output for people (read on stdin,
run under LANG=ja_JP.UTF-8) that are still English: prints each as
"WHERE: line [words]" and exits 1 if there is one.

A line needs Japanese when, after taking away what is never translated,
an English word is left and the line has no Japanese character; a line
with Japanese fails when three English words in a row are left (a
sentence left in English beside translated ones). Never
translated (docs/i18n.md):
  - option names (-x, --long, --long=V) and placeholders in capitals
    (FILE, DIR, SEQ:HASH, CERT.pdf), column names (PATH, STATE)
  - paths, file names, URLs, environment variables, key=value pairs,
    hex (key IDs, hashes), numbers, dates, identifiers with digits
  - anything in quotes ('wipecert verify', "name"): commands and values
  - the words in --keep files: command and sub-command names, method,
    role, state and status keywords that the commands accept or print in
    their --json too, and the test's own data (names, models)
Lines of the form "WHERE<TAB>text" name where they came from."""
import re
import sys

JA = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
DROP = [
    re.compile(r"'[^']*'"),                      # quoted commands and values
    re.compile(r'"[^"]*"'),
    re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*(=\S*)?"),  # options
    re.compile(r"\S*[/$=@\\]\S*"),               # paths, variables, key=value
    re.compile(r"\S*YYYY\S*"),                   # date formats
    re.compile(r"\S+\.\w+\b"),                   # file names, dotted names
    re.compile(r"\b[A-Z][A-Z0-9_:|.-]*\b"),      # placeholders, column names
    re.compile(r"\b\w*\d\w*\b"),                 # numbers, hex, IDs with digits
    re.compile(r"\b[0-9a-f]{8,}\b"),
]
RUN = 3
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")


def main():
    keep, data = set(), []
    args = sys.argv[1:]
    while args and args[0] == "--keep":
        with open(args[1], encoding="utf-8") as f:
            for ln in f:
                if ln.startswith("data: "):
                    data.append(ln[6:].strip())
                elif not ln.startswith("#"):
                    keep.update(w.lower() for w in ln.split())
        args = args[2:]
    bad = 0
    for raw in sys.stdin.read().splitlines():
        where, _, line = raw.rpartition("\t")
        rest = line
        for d in data:
            rest = rest.replace(d, " ")
        mixed = bool(JA.search(rest))
        for r in DROP:
            rest = r.sub(" ", rest)
        if mixed:
            # a Japanese line may name things, not say things in English:
            # RUN or more English words in a row (keywords aside) fail it
            words, run = [], []
            for tok in re.findall(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[^\sA-Za-z]+", rest):
                if WORD.fullmatch(tok) and tok.lower() not in keep:
                    run.append(tok)
                    if len(run) >= RUN:
                        words = run
                elif not WORD.fullmatch(tok) and not re.fullmatch(r"[,:;()]+", tok):
                    run = []  # Japanese (or a number) between: another phrase
        else:
            words = [w for w in WORD.findall(rest) if w.lower() not in keep]
        if words:
            bad += 1
            print(f"{where}: {line.strip()}   [{' '.join(words)}]")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
