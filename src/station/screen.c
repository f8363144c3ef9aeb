/* screen.c - the station's full-screen terminal UI (libncursesw).
 *
 * One row per bay, a detail pane for the row under the cursor, a message
 * line and a prompt line. The engine never waits for the screen: the
 * jobs run in their own threads, and this loop draws snapshots of their
 * progress about four times a second.
 *
 * Keys: arrows move, space selects, a selects every startable disk, s
 * starts the selection (each disk confirmed by typing or scanning its
 * asset ID or serial), x stops the disk under the cursor (resumable), r
 * resumes an interrupted one, u unlocks the key, l locks it, d forgets a
 * pulled disk's row, / finds a disk by name, serial or asset (a scan at
 * the table jumps to the disk), ? helps, q quits (running jobs stop,
 * resumable).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <time.h>

#include <curses.h>
#include <sodium.h>

#include "wipecert/trust.h"
#include "station.h"

#define PASS_MAX 1024
#define INPUT_MAX 256

enum mode { MODE_TABLE, MODE_CONFIRM, MODE_PASS, MODE_QUIT, MODE_HELP, MODE_FIND };

struct screen {
	struct station *s;
	size_t cur, top;
	unsigned cur_no;         /* the bay under the cursor: rows come and go around it */
	char msg[600];
	bool msg_bad;
	enum mode mode;
	char input[INPUT_MAX];   /* what is typed at the confirmation */
	size_t input_len;
	char *pass;              /* sodium_malloc'd */
	size_t pass_len;
	/* the disks to confirm and start, in turn */
	unsigned queue[64];
	char qname[64][40];      /* their names, for when one went away */
	size_t nq, qi;
	bool queue_resume;
	bool quit;
	bool ask_pending;        /* the key locked itself: ask anew when free */
	bool colors;
};

enum { C_OK = 1, C_BAD, C_RUN, C_DIM, C_TITLE };

/* ---- drawing ---- */

/* text fitted to cols columns at (y, x), attributes as given */
static void put(int y, int x, int cols, const char *text, bool right, attr_t attr)
{
	wchar_t w[512];

	if (cols <= 0 || x >= COLS)
		return;
	if (x + cols > COLS)
		cols = COLS - x;
	text_fitw(text ? text : "", cols, right, w, ARRAY_SIZE(w));
	attron(attr);
	mvaddwstr(y, x, w);
	attroff(attr);
}

static attr_t color(const struct screen *sc, int pair)
{
	return sc->colors ? COLOR_PAIR(pair) : A_NORMAL;
}

struct col {
	const char *head;
	int w;
	bool right;
};

/* The columns that fit: device, serial, size, asset, class and the state
 * always (80 columns leave the state 30); the ledger status and the method
 * from 108 columns on, the model from 125. */
static size_t layout(struct col *c, int width, int *level)
{
	size_t n = 0;
	int used = 0;

	*level = width >= 125 ? 2 : width >= 108 ? 1 : 0;
	c[n++] = (struct col){ "", 3, false };
	c[n++] = (struct col){ _("Device"), 8, false };
	if (*level >= 2)
		c[n++] = (struct col){ _("Model"), 16, false };
	c[n++] = (struct col){ _("Serial"), 12, false };
	c[n++] = (struct col){ _("Size"), 9, true };
	c[n++] = (struct col){ _("Asset"), 10, false };
	c[n++] = (struct col){ _("Cl"), 2, false };
	if (*level >= 1) {
		c[n++] = (struct col){ _("Status"), 16, false };
		c[n++] = (struct col){ _("Method"), 10, false };
	}
	for (size_t i = 0; i < n; i++)
		used += c[i].w + 1;
	c[n++] = (struct col){ _("State"), width - used > 8 ? width - used : 8, false };
	return n;
}

static attr_t row_attr(const struct screen *sc, const struct bay *b)
{
	switch (b->state) {
	case BAY_RUNNING:
		return color(sc, C_RUN);
	case BAY_FINISHED:
		return color(sc, b->passed && b->sealed ? C_OK : C_BAD) | A_BOLD;
	case BAY_INTERRUPTED:
		return color(sc, C_BAD);
	default:
		return b->eligible ? A_NORMAL : color(sc, C_DIM);
	}
}

static void draw_row(struct screen *sc, int y, const struct bay *b, bool cursor)
{
	struct col c[12];
	int level;
	size_t n = layout(c, COLS, &level), k = 0;
	char size[32], word[160];
	const char *cls = b->matched ? ledger_asset_value(&b->asset, LEDGER_F_IMPORTANCE) : NULL;
	const char *cells[12];
	attr_t attr = row_attr(sc, b) | (cursor ? A_REVERSE : 0);
	int x = 0;

	format_size_iec(b->disk.size, size, sizeof(size));
	cells[k++] = b->selected ? "[x]" : b->present ? "[ ]" : " - ";
	/* an image file by its name; the details show the path */
	cells[k++] = station_bay_name(b);
	if (level >= 2)
		cells[k++] = b->disk.model;
	cells[k++] = b->disk.serial ? b->disk.serial : "-";
	cells[k++] = size;
	cells[k++] = b->matched ? ledger_asset_value(&b->asset, LEDGER_F_ASSET_ID) : "-";
	cells[k++] = cls ? cls : "-";
	if (level >= 1) {
		cells[k++] = b->matched ? ledger_asset_value(&b->asset, LEDGER_F_STATUS) : "-";
		cells[k++] = b->state == BAY_IDLE || !b->job ? (b->method ? b->method : "-") : b->job->method;
	}
	cells[k++] = station_bay_word(b, word, sizeof(word));
	attron(attr);
	mvhline(y, 0, ' ', COLS);
	attroff(attr);
	for (size_t i = 0; i < n && i < k; i++) {
		put(y, x, c[i].w, cells[i], c[i].right, attr);
		x += c[i].w + 1;
	}
}

static void draw_details(struct screen *sc, int y, const struct bay *b)
{
	struct station *s = sc->s;
	const struct disk *d = &b->disk;
	char line[1024], size[32], done[32], total[32], rate[32];

	format_size_iec(d->size, size, sizeof(size));
	snprintf(line, sizeof(line), _("%s  %s  serial %s  WWN %s  %s  %u-byte sectors  %s  safety: %s%s%s"),
		 d->devpath ? d->devpath : "?", d->model ? d->model : "?", d->serial ? d->serial : "-",
		 d->wwn ? d->wwn : "-", size, d->logical_sector, disk_transport_to_string(d->transport),
		 disk_safety_to_string(d->safety), d->safety_reason ? " - " : "", d->safety_text ? d->safety_text : d->safety_reason ? d->safety_reason : "");
	put(y, 0, COLS, line, false, A_NORMAL);
	if (b->matched)
		snprintf(line, sizeof(line), _("asset %s  class %s  %s  %s  method %s  firmware: %s"),
			 ledger_asset_value(&b->asset, LEDGER_F_ASSET_ID) ?: "?",
			 ledger_asset_value(&b->asset, LEDGER_F_IMPORTANCE) ?: "?",
			 ledger_asset_value(&b->asset, LEDGER_F_STATUS) ?: "?",
			 ledger_asset_value(&b->asset, LEDGER_F_DEPARTMENT) ?: "",
			 b->method ? b->method : "-", b->caps_text[0] ? b->caps_text : "-");
	else
		snprintf(line, sizeof(line), _("no ledger entry  firmware: %s"), b->caps_text[0] ? b->caps_text : "-");
	put(y + 1, 0, COLS, line, false, A_NORMAL);
	if (b->state == BAY_RUNNING && b->firmware) {
		char word[160];

		snprintf(line, sizeof(line), _("firmware erase %s (the drive erases itself; it cannot be stopped): %s"),
			 b->method, station_bay_word(b, word, sizeof(word)));
	} else if (b->state == BAY_RUNNING) {
		struct erase_progress p;

		pthread_mutex_lock(&s->lock);
		p = b->last;
		pthread_mutex_unlock(&s->lock);
		format_size_iec(p.done, done, sizeof(done));
		format_size_iec(p.total, total, sizeof(total));
		format_size_iec((uint64_t)p.rate, rate, sizeof(rate));
		snprintf(line, sizeof(line),
			 _("job %s  pass %u/%zu %s  %s of %s  %s/s  ETA %u:%02u:%02u  errors %llu"), b->job->id,
			 p.pass + 1, b->job->n_passes, _(erase_phase_to_string(p.phase)), done, total, rate,
			 (unsigned)(p.eta_sec / 3600), (unsigned)(p.eta_sec / 60 % 60), (unsigned)(p.eta_sec % 60),
			 (unsigned long long)p.errors);
	} else if (b->state == BAY_FINISHED) {
		snprintf(line, sizeof(line), _("%s  case %s  %s"), b->outcome, station_job_id(b),
			 b->sealed ? b->case_path : b->seal_pending ? _("sealed once the key is unlocked") : _("not sealed"));
	} else if (b->state == BAY_INTERRUPTED) {
		snprintf(line, sizeof(line), _("job %s %s"), station_job_id(b) ? station_job_id(b) : "-", b->outcome);
	} else if (b->resume_id) {
		snprintf(line, sizeof(line), _("interrupted job %s: press r to resume it"), b->resume_id);
	} else {
		snprintf(line, sizeof(line), "%s", b->note[0] ? b->note : _("ready: select it (space) and start (s)"));
	}
	put(y + 2, 0, COLS, line, false, b->state == BAY_FINISHED ? row_attr(sc, b) : A_NORMAL);
}

static void draw_title(struct screen *sc)
{
	struct station *s = sc->s;
	char left[600], right[96], key[200], clock[16];
	unsigned in = station_lock_in(s);
	const char *name = s->key_name ? s->key_name : "?";
	time_t t = time(NULL);
	struct tm tm;
	int rw;

	/* the state first: a narrow terminal cuts the name, not "LOCKED" */
	if (station_unlocked(s) && in)
		snprintf(key, sizeof(key), _("key unlocked (locks in %u:%02u): %s"), in / 60, in % 60, name);
	else if (station_unlocked(s))
		snprintf(key, sizeof(key), _("key unlocked: %s"), name);
	else
		snprintf(key, sizeof(key), _("key LOCKED: %s"), name);
	snprintf(left, sizeof(left), "wipecert station%s  %s  %s", s->o.auto_mode ? "  AUTO" : "", key,
		 s->machine ? s->machine : "");
	localtime_r(&t, &tm);
	strftime(clock, sizeof(clock), "%H:%M", &tm);
	snprintf(right, sizeof(right), _("disks %zu  running %zu  %s"), s->n_bays, station_running(s), clock);
	rw = text_width(right) + 1;
	put(0, 0, COLS, "", false, A_REVERSE | color(sc, C_TITLE));
	put(0, 0, COLS - rw > 0 ? COLS - rw : 0, left, false, A_REVERSE | color(sc, C_TITLE));
	put(0, COLS - rw, rw, right, true, A_REVERSE | color(sc, C_TITLE));
}

static const char *help_line(const struct screen *sc)
{
	switch (sc->mode) {
	case MODE_CONFIRM:
	case MODE_PASS:
	case MODE_FIND:
		return NULL;
	case MODE_QUIT:
		return _("jobs are running: stop them all (resumable) and quit? y/n");
	default:
		return _("space select  a all  s start  x stop  r resume  u unlock  / find  ? help  q quit");
	}
}

static void draw_prompt(struct screen *sc, int y)
{
	char line[INPUT_MAX + 400];
	struct bay *b = NULL;

	if (sc->mode == MODE_FIND) {
		snprintf(line, sizeof(line), _("find a disk by name, serial or asset, Enter (Esc returns): %s"), sc->input);
		put(y, 0, COLS, line, false, A_BOLD);
		curs_set(1);
		move(y, text_width(line) < COLS ? text_width(line) : COLS - 1);
	} else if (sc->mode == MODE_CONFIRM) {
		for (size_t i = 0; i < sc->s->n_bays; i++)
			if (sc->s->bays[i]->no == sc->queue[sc->qi])
				b = sc->s->bays[i];
		snprintf(line, sizeof(line), _("confirm %s (%zu/%zu): scan or type its asset ID or serial, Enter (Esc skips): %s"),
			 b ? station_bay_name(b) : sc->qname[sc->qi], sc->qi + 1, sc->nq, sc->input);
		put(y, 0, COLS, line, false, A_BOLD);
		curs_set(1);
		move(y, text_width(line) < COLS ? text_width(line) : COLS - 1);
	} else if (sc->mode == MODE_PASS) {
		const char *base = strrchr(sc->s->o.key_path, '/');

		snprintf(line, sizeof(line), _("passphrase for the key of %s (%s): "), sc->s->key_name ? sc->s->key_name : "?",
			 base ? base + 1 : sc->s->o.key_path);
		put(y, 0, COLS, line, false, A_BOLD);
		curs_set(1);
		move(y, text_width(line) < COLS ? text_width(line) : COLS - 1);
	} else {
		put(y, 0, COLS, help_line(sc), false, A_DIM);
		curs_set(0);
	}
}

static void draw_help(void)
{
	static const char *const lines[] = {
		N_("wipecert station: keys"),
		"",
		N_("  up/down, j/k   move between disks"),
		N_("  space          select the disk (only a startable one)"),
		N_("  a              select every startable disk"),
		N_("  s, Enter       start the selected disks: each is confirmed by scanning or"),
		N_("                 typing its asset ID or serial (a disk with no serial: its asset)"),
		N_("  x              stop the disk's job at its next checkpoint (resumable)"),
		N_("  r              resume the disk's interrupted job"),
		N_("  u / l          unlock / lock the technician's key"),
		N_("  d              forget the row of a disk that was pulled out"),
		N_("  /              find a disk by name, serial or asset (scan its label)"),
		N_("  q              quit (running jobs stop, resumable)"),
		"",
		N_("PASS: wiped and verified. Sealed: the wipe record is signed and the"),
		N_("ledger says erased. A finished disk is safe to remove."),
		"",
		N_("any key returns"),
	};

	erase();
	for (size_t i = 0; i < ARRAY_SIZE(lines) && (int)i < LINES; i++)
		put((int)i, 0, COLS, *lines[i] ? _(lines[i]) : "", false, i == 0 ? A_BOLD : A_NORMAL);
}

/* The cursor stays on its disk while other disks arrive and leave. */
static void cursor_follow(struct screen *sc)
{
	for (size_t i = 0; i < sc->s->n_bays; i++)
		if (sc->s->bays[i]->no == sc->cur_no) {
			sc->cur = i;
			return;
		}
	if (sc->cur >= sc->s->n_bays)
		sc->cur = sc->s->n_bays ? sc->s->n_bays - 1 : 0;
}

static void cursor_mark(struct screen *sc)
{
	if (sc->cur < sc->s->n_bays)
		sc->cur_no = sc->s->bays[sc->cur]->no;
}

static void draw(struct screen *sc)
{
	struct station *s = sc->s;
	struct col c[12];
	int level;
	size_t n;
	int rows, x = 0;

	if (sc->mode == MODE_HELP) {
		draw_help();
		refresh();
		return;
	}
	erase();
	if (COLS < 40 || LINES < 12) {
		put(0, 0, COLS, _("the terminal is too small (80x24 or more)"), false, A_BOLD);
		refresh();
		return;
	}
	draw_title(sc);
	n = layout(c, COLS, &level);
	for (size_t i = 0; i < n; i++) {
		put(1, x, c[i].w, c[i].head, c[i].right, A_BOLD | A_UNDERLINE);
		x += c[i].w + 1;
	}
	rows = LINES - 9;
	cursor_follow(sc);
	cursor_mark(sc);
	if (sc->cur < sc->top)
		sc->top = sc->cur;
	if (sc->cur >= sc->top + (size_t)rows)
		sc->top = sc->cur - (size_t)rows + 1;
	for (int i = 0; i < rows && sc->top + (size_t)i < s->n_bays; i++)
		draw_row(sc, 2 + i, s->bays[sc->top + (size_t)i], sc->top + (size_t)i == sc->cur);
	if (!s->n_bays)
		put(2, 0, COLS, _("no disks: attach one"), false, color(sc, C_DIM));
	mvhline(LINES - 7, 0, ACS_HLINE, COLS);
	if (s->n_bays)
		draw_details(sc, LINES - 6, s->bays[sc->cur]);
	{
		/* the message on two lines: a refusal says why in full */
		size_t cut = text_break(sc->msg, COLS);
		char first[sizeof(sc->msg)];
		const char *rest = sc->msg + cut;
		attr_t a = sc->msg_bad ? color(sc, C_BAD) | A_BOLD : A_NORMAL;

		memcpy(first, sc->msg, cut);
		first[cut] = '\0';
		while (*rest == ' ')
			rest++;
		put(LINES - 3, 0, COLS, first, false, a);
		put(LINES - 2, 0, COLS, rest, false, a);
	}
	draw_prompt(sc, LINES - 1);
	refresh();
}

/* ---- events and keys ---- */

static void say(struct screen *sc, bool bad, const char *fmt, ...) _printf_(3, 4);
static void say(struct screen *sc, bool bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sc->msg, sizeof(sc->msg), fmt, ap);
	va_end(ap);
	sc->msg_bad = bad;
}

static void on_event(struct station *s, const struct station_event *ev)
{
	struct screen *sc = s->front;

	switch (ev->kind) {
	case STATION_EV_PROGRESS:
	case STATION_EV_READY:
		return;
	case STATION_EV_ADDED:
		/* a disk the ledger knows; strangers only get their row */
		if (s->ready && ev->bay->matched)
			say(sc, false, _("%s arrived: %s"), station_bay_name(ev->bay),
			    ev->msg && *ev->msg ? ev->msg : _("ready"));
		return;
	case STATION_EV_REMOVED:
		if (ev->bay->matched || (ev->code && streq(ev->code, "pulled")))
			say(sc, ev->code && streq(ev->code, "pulled"), "%s", ev->msg);
		return;
	case STATION_EV_CHANGED:
		if (ev->code && (streq(ev->code, "bound") || streq(ev->code, "stopping") || streq(ev->code, "seal-pending") ||
				 streq(ev->code, "witnessed")))
			say(sc, false, "%s", ev->msg);
		return;
	case STATION_EV_REFUSED:
	case STATION_EV_ERROR:
		say(sc, true, "%s", ev->msg);
		return;
	case STATION_EV_FINISHED:
		say(sc, ev->bay->state != BAY_FINISHED || !ev->bay->passed, "%s", ev->msg);
		return;
	case STATION_EV_KEY:
		if (ev->code && streq(ev->code, "locked"))
			sc->ask_pending = true;
		say(sc, false, "%s", ev->msg);
		return;
	default:
		if (ev->msg)
			say(sc, false, "%s", ev->msg);
	}
}

static struct bay *cursor_bay(struct screen *sc)
{
	return sc->cur < sc->s->n_bays ? sc->s->bays[sc->cur] : NULL;
}

static struct bay *bay_no(struct screen *sc, unsigned no)
{
	for (size_t i = 0; i < sc->s->n_bays; i++)
		if (sc->s->bays[i]->no == no)
			return sc->s->bays[i];
	return NULL;
}

static bool startable(const struct bay *b)
{
	return b->present && b->state != BAY_RUNNING && (b->eligible || b->resume_id);
}

static void ask_pass(struct screen *sc)
{
	sc->mode = MODE_PASS;
	sc->pass_len = 0;
}

static void next_confirm(struct screen *sc)
{
	sc->input_len = 0;
	sc->input[0] = '\0';
	for (; sc->qi < sc->nq; sc->qi++) {
		if (bay_no(sc, sc->queue[sc->qi])) {
			sc->mode = MODE_CONFIRM;
			return;
		}
		say(sc, true, _("%s went away: not started, nothing written"), sc->qname[sc->qi]);
	}
	sc->mode = MODE_TABLE;
}

static void start_queue(struct screen *sc, bool resume)
{
	struct station *s = sc->s;
	struct bay *b = cursor_bay(sc);

	sc->nq = sc->qi = 0;
	sc->queue_resume = resume;
	if (!station_unlocked(s)) {
		say(sc, true, _("the key is locked: unlock it first (u)"));
		return;
	}
	if (!resume)
		for (size_t i = 0; i < s->n_bays && sc->nq < ARRAY_SIZE(sc->queue); i++)
			if (s->bays[i]->selected) {
				snprintf(sc->qname[sc->nq], sizeof(sc->qname[0]), "%s", station_bay_name(s->bays[i]));
				sc->queue[sc->nq++] = s->bays[i]->no;
			}
	if (sc->nq == 0 && b) {
		if (resume && !b->resume_id) {
			say(sc, true, _("%s has no interrupted job to resume"), station_bay_name(b));
			return;
		}
		if (!startable(b)) {
			say(sc, true, _("%s cannot be started: %s"), station_bay_name(b),
			    b->note[0] ? b->note : b->state == BAY_RUNNING ? _("it is running") : _("not eligible"));
			return;
		}
		snprintf(sc->qname[sc->nq], sizeof(sc->qname[0]), "%s", station_bay_name(b));
		sc->queue[sc->nq++] = b->no;
	}
	if (sc->nq == 0) {
		say(sc, true, _("no disk selected"));
		return;
	}
	for (size_t i = 0; i < s->n_bays; i++)
		s->bays[i]->selected = false;
	next_confirm(sc);
}

/* UTF-8 of one character into buf (>= 5 bytes); 0 for what is not one */
static size_t utf8_put(wchar_t wc, char *buf)
{
	unsigned c = (unsigned)wc;

	if (c < 0x80)
		return buf[0] = (char)c, 1;
	if (c < 0x800)
		return buf[0] = (char)(0xc0 | c >> 6), buf[1] = (char)(0x80 | (c & 0x3f)), 2;
	if (c < 0x10000) {
		if (c >= 0xd800 && c <= 0xdfff)
			return 0;
		buf[0] = (char)(0xe0 | c >> 12);
		buf[1] = (char)(0x80 | (c >> 6 & 0x3f));
		buf[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	if (c < 0x110000) {
		buf[0] = (char)(0xf0 | c >> 18);
		buf[1] = (char)(0x80 | (c >> 12 & 0x3f));
		buf[2] = (char)(0x80 | (c >> 6 & 0x3f));
		buf[3] = (char)(0x80 | (c & 0x3f));
		return 4;
	}
	return 0;
}

/* Edit the typed line: 1 when c was taken, 0 when it ends the line
 * (Enter), -1 for Esc. */
static int edit_input(struct screen *sc, wint_t c, bool fkey)
{
	if (!fkey && c == 27)
		return -1;
	if ((fkey && c == KEY_ENTER) || (!fkey && (c == '\n' || c == '\r')))
		return 0;
	if ((fkey && c == KEY_BACKSPACE) || (!fkey && (c == 127 || c == 8))) {
		while (sc->input_len > 0 && ((unsigned char)sc->input[--sc->input_len] & 0xc0) == 0x80)
			;
		sc->input[sc->input_len] = '\0';
		return 1;
	}
	if (!fkey && c >= 0x20 && c != 0x7f) {
		char u[5];
		size_t n = utf8_put((wchar_t)c, u);

		if (n && sc->input_len + n < sizeof(sc->input)) {
			memcpy(sc->input + sc->input_len, u, n);
			sc->input_len += n;
			sc->input[sc->input_len] = '\0';
		}
	}
	return 1;
}

static bool matches(const char *a, const char *typed)
{
	return a && strcasecmp(a, typed) == 0;
}

static void key_find(struct screen *sc, wint_t c, bool fkey)
{
	struct station *s = sc->s;
	int r = edit_input(sc, c, fkey);
	char *t = sc->input;

	if (r > 0)
		return;
	sc->mode = MODE_TABLE;
	if (r < 0)
		return;
	strstrip(t);
	for (size_t i = 0; i < s->n_bays; i++) {
		const struct bay *b = s->bays[i];
		const char *base = b->disk.devpath ? strrchr(b->disk.devpath, '/') : NULL;

		if (matches(station_bay_name(b), t) || matches(b->disk.serial, t) || matches(b->disk.devpath, t) ||
		    (base && matches(base + 1, t)) ||
		    (b->matched && matches(ledger_asset_value(&b->asset, LEDGER_F_ASSET_ID), t))) {
			sc->cur = i;
			say(sc, false, _("%s found"), station_bay_name(b));
			return;
		}
	}
	say(sc, true, _("no disk here is '%s'"), t);
}

static void key_confirm(struct screen *sc, wint_t c, bool fkey)
{
	struct bay *b = bay_no(sc, sc->queue[sc->qi]);
	char msg[600];
	int r = edit_input(sc, c, fkey);

	if (r < 0) {
		say(sc, false, _("%s: not confirmed: skipped"), sc->qname[sc->qi]);
		sc->qi++;
		next_confirm(sc);
		return;
	}
	if (r == 0) {
		if (!b) {
			say(sc, true, _("%s went away: not started, nothing written"), sc->qname[sc->qi]);
		} else if (station_confirm(sc->s, b, sc->input, msg, sizeof(msg)) < 0) {
			say(sc, true, "%s", msg);
		} else {
			station_start(sc->s, b, sc->queue_resume);
		}
		sc->qi++;
		next_confirm(sc);
	}
}

static void key_pass(struct screen *sc, wint_t c, bool fkey)
{
	char msg[600];

	if (!fkey && c == 27) {
		sodium_memzero(sc->pass, PASS_MAX);
		sc->pass_len = 0;
		sc->mode = MODE_TABLE;
		say(sc, true, _("the key stays locked: nothing is sealed or started until it is unlocked (u)"));
		return;
	}
	if ((fkey && c == KEY_ENTER) || (!fkey && (c == '\n' || c == '\r'))) {
		int r = station_unlock(sc->s, sc->pass, sc->pass_len, msg, sizeof(msg));

		sodium_memzero(sc->pass, PASS_MAX);
		sc->pass_len = 0;
		say(sc, r < 0, "%s", msg);
		/* a wrong passphrase asks again; an expired or unknown key does not */
		sc->mode = r == -EKEYREJECTED ? MODE_PASS : MODE_TABLE;
		return;
	}
	if ((fkey && c == KEY_BACKSPACE) || (!fkey && (c == 127 || c == 8))) {
		if (sc->pass_len)
			sc->pass[--sc->pass_len] = '\0';
		return;
	}
	if (!fkey && c >= 0x20 && c != 0x7f) {
		char u[5];
		size_t n = utf8_put((wchar_t)c, u);

		if (n && sc->pass_len + n < PASS_MAX - 1) {
			memcpy(sc->pass + sc->pass_len, u, n);
			sc->pass_len += n;
		}
		sodium_memzero(u, sizeof(u));
	}
}

/* The cursor keys and the function keys of the table. */
static void key_move(struct screen *sc, wint_t c)
{
	size_t n = sc->s->n_bays;

	switch (c) {
	case KEY_UP:
		if (sc->cur > 0)
			sc->cur--;
		return;
	case KEY_DOWN:
		if (sc->cur + 1 < n)
			sc->cur++;
		return;
	case KEY_PPAGE:
		sc->cur = sc->cur > 10 ? sc->cur - 10 : 0;
		return;
	case KEY_NPAGE:
		sc->cur = n && sc->cur + 10 >= n ? n - 1 : sc->cur + 10;
		return;
	case KEY_HOME:
		sc->cur = 0;
		return;
	case KEY_END:
		sc->cur = n ? n - 1 : 0;
		return;
	case KEY_RESIZE:
		clearok(stdscr, TRUE);
		return;
	case KEY_ENTER:
		start_queue(sc, false);
		return;
	default:
		say(sc, true, _("unknown key %s: press ? for help"), keyname((int)c) ? keyname((int)c) : "?");
	}
}

/* space: select the disk under the cursor (if it can be started), then down */
static void key_select(struct screen *sc, struct bay *b)
{
	if (!b)
		return;
	if (!b->selected && !startable(b)) {
		say(sc, true, _("%s cannot be started: %s"), station_bay_name(b),
		    b->state == BAY_RUNNING ? _("it is running") : b->note[0] ? b->note : _("not eligible"));
		return;
	}
	b->selected = !b->selected;
	if (sc->cur + 1 < sc->s->n_bays)
		sc->cur++;
}

/* a: every startable disk that has no job to resume */
static void key_select_all(struct screen *sc)
{
	struct station *s = sc->s;
	size_t n = 0;

	for (size_t i = 0; i < s->n_bays; i++)
		if (s->bays[i]->eligible && startable(s->bays[i]) && !s->bays[i]->resume_id) {
			s->bays[i]->selected = true;
			n++;
		}
	say(sc, !n, _("%zu startable disks selected"), n);
}

/* d: dismiss the row of a disk that was pulled out (not one waiting for its seal) */
static void key_dismiss(struct screen *sc, struct bay *b)
{
	if (b && b->seal_pending)
		say(sc, true, _("%s: its job waits to be sealed: unlock the key first"), station_bay_name(b));
	else if (b && !b->present && b->state != BAY_RUNNING)
		station_drop(sc->s, b);
	else
		say(sc, true, _("only the row of a disk that was pulled out can be dismissed"));
}

static void key_unknown(struct screen *sc, wint_t c)
{
	char u[5] = "";
	size_t n = c >= 0x20 ? utf8_put((wchar_t)c, u) : 0;

	u[n] = '\0';
	if (n)
		say(sc, true, _("unknown key '%s': press ? for help"), u);
	else
		say(sc, true, _("unknown key %s: press ? for help"), keyname((int)c) ? keyname((int)c) : "?");
}

static void key_table(struct screen *sc, wint_t c, bool fkey)
{
	struct station *s = sc->s;
	struct bay *b = cursor_bay(sc);

	if (fkey) {
		key_move(sc, c);
		return;
	}
	switch (c) {
	case 'k': key_move(sc, KEY_UP); return;
	case 'j': key_move(sc, KEY_DOWN); return;
	case ' ': key_select(sc, b); return;
	case 'a': key_select_all(sc); return;
	case 's': case '\n': case '\r': start_queue(sc, false); return;
	case 'r': start_queue(sc, true); return;
	case 'x':
		if (b && b->state == BAY_RUNNING)
			station_stop(s, b);
		else
			say(sc, true, _("%s is not running"), b ? station_bay_name(b) : "?");
		return;
	case 'u':
		if (station_unlocked(s))
			say(sc, false, _("the key is unlocked already"));
		else
			ask_pass(sc);
		return;
	case 'l': station_lock(s); return;
	case 'd': key_dismiss(sc, b); return;
	case '?': sc->mode = MODE_HELP; return;
	case '/':
		sc->mode = MODE_FIND;
		sc->input_len = 0;
		sc->input[0] = '\0';
		return;
	case 'q':
		if (station_running(s))
			sc->mode = MODE_QUIT;
		else
			sc->quit = true;
		return;
	default: key_unknown(sc, c);
	}
}

static void on_key_mode(struct screen *sc, wint_t c, bool fkey);

static void on_key(struct screen *sc, wint_t c, bool fkey)
{
	cursor_follow(sc);
	on_key_mode(sc, c, fkey);
	cursor_mark(sc);
}

static void on_key_mode(struct screen *sc, wint_t c, bool fkey)
{
	station_activity(sc->s);
	if (fkey && c == KEY_RESIZE) {
		clearok(stdscr, TRUE);
		return;
	}
	switch (sc->mode) {
	case MODE_CONFIRM:
		key_confirm(sc, c, fkey);
		return;
	case MODE_PASS:
		key_pass(sc, c, fkey);
		return;
	case MODE_FIND:
		key_find(sc, c, fkey);
		return;
	case MODE_HELP:
		sc->mode = MODE_TABLE;
		return;
	case MODE_QUIT:
		if (!fkey && (c == 'y' || c == 'Y'))
			sc->quit = true;
		else
			say(sc, false, _("not quitting"));
		sc->mode = MODE_TABLE;
		return;
	default:
		key_table(sc, c, fkey);
	}
}

int station_screen_run(struct station *s, const char *pass, size_t pass_len)
{
	struct screen sc = { .s = s };
	char msg[600];
	int sfd;
	uint64_t last_tick = 0;

	sc.pass = sodium_malloc(PASS_MAX);
	if (!sc.pass)
		return EXIT_FAIL;
	sfd = station_signalfd();
	if (sfd < 0) {
		sodium_free(sc.pass);
		return EXIT_FAIL;
	}
	text_init();
	s->front = &sc;
	s->emit = on_event;
	if (!initscr()) {
		close(sfd);
		sodium_free(sc.pass);
		return EXIT_FAIL;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(50);
	timeout(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(C_OK, COLOR_GREEN, -1);
		init_pair(C_BAD, COLOR_RED, -1);
		init_pair(C_RUN, COLOR_CYAN, -1);
		init_pair(C_DIM, COLOR_BLUE, -1);
		init_pair(C_TITLE, COLOR_WHITE, COLOR_BLUE);
		sc.colors = true;
	}
	station_scan(s);
	if (pass) {
		if (station_unlock(s, pass, pass_len, msg, sizeof(msg)) < 0)
			say(&sc, true, "%s", msg);
	} else {
		ask_pass(&sc);
	}
	while (!sc.quit) {
		struct pollfd p[4] = {
			{ STDIN_FILENO, POLLIN, 0 }, { station_monitor_fd(s), POLLIN, 0 },
			{ station_wake_fd(s), POLLIN, 0 }, { sfd, POLLIN, 0 },
		};
		struct signalfd_siginfo si;
		wint_t c;
		int k;

		draw(&sc);
		if (poll(p, 4, 250) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			station_monitor_dispatch(s);
		if (p[2].revents)
			station_reap(s);
		while ((k = get_wch(&c)) != ERR)
			on_key(&sc, c, k == KEY_CODE_YES);
		if (p[3].revents && read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGINT && sc.mode != MODE_QUIT && station_running(s)) {
				sc.mode = MODE_QUIT; /* Ctrl-C asks, as q does */
			} else {
				say(&sc, true, _("stopping every job (resumable)..."));
				sc.quit = true;
			}
		}
		if (now_ns() - last_tick >= 1000000000ull) {
			last_tick = now_ns();
			station_tick(s);
		}
		if (s->o.until_done && station_done(s)) {
			say(&sc, false, _("every disk is done"));
			sc.quit = true;
		}
		/* the idle lock: ask anew, once the technician is free to answer */
		if (sc.ask_pending && sc.mode == MODE_TABLE) {
			sc.ask_pending = false;
			if (!station_unlocked(s))
				ask_pass(&sc);
		}
	}
	if (station_running(s)) {
		say(&sc, true, _("stopping every job at its next checkpoint (resumable)..."));
		draw(&sc);
		station_stop_all(s);
	}
	endwin();
	station_summary(s, msg, sizeof(msg));
	fprintf(stderr, "%s\n", msg);
	close(sfd);
	sodium_free(sc.pass);
	return s->n_failed || s->n_interrupted || s->n_unsealed ? EXIT_FAIL : EXIT_OK;
}
