# ledger-lib.bash - what the ledger benchmarks share (bench/ledger.sh,
# bench/ledger-pg.sh): timing a command and the CSV of n assets they import.
# The caller sets $tmp (a scratch directory) and $n.

t() { # prints the seconds a command took
	local s e
	s=$(date +%s.%N)
	"$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	e=$(date +%s.%N)
	echo "$s $e" | awk '{ printf "%.2f", $2 - $1 }'
}
gen() { # round -> $tmp/rROUND.csv: n assets, their notes differ by round
	awk -v n="$n" -v r="$1" 'BEGIN {
		print "資産番号,媒体種別,メーカー,型番,シリアル番号,WWN,容量,所管課,設置場所,重要性分類,リース/所有,備考,状態";
		for (i = 1; i <= n; i++)
			printf "KS-%07d,hdd,Seagate,ST1000DM010,Z%09d,0x5000c500%08x,1000204886016,総務部総務課%d,本庁舎%d階,%d,所有,棚卸%d回目,in-service\n",
				i, i, i, i % 40, i % 9 + 1, i % 3 + 1, r }' >"$tmp/r$1.csv"
}
