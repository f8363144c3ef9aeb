/* copy.c - copy a whole ledger into another store: a station's SQLite
 * file into the organisation's PostgreSQL database (`ledger migrate
 * --to`), or back for an offline archive.
 *
 * Its job: move every asset, every event with its number, hashes and
 * signature, every case and decision, and what an archive left (the
 * archived head, the checkpoints), so that the copy verifies to the same
 * head. It must never copy a chain that does not verify, never merge into a
 * store that holds anything, and never re-sign or renumber an event. No
 * SQL here.
 */
#include <errno.h>
#include <string.h>

#include "ledger-internal.h"
#include "wipecert/util.h"

struct copy_ctx {
	struct ledger *from, *to;
	struct ledger_verify_result source;
	struct ledger_copy_report rep;
};

static int any_asset(const struct ledger_asset *a, const char *state, void *userdata)
{
	(void)a;
	(void)state;
	(void)userdata;
	return -ENOTEMPTY;
}

static int asset_cb(const struct ledger_asset *a, void *userdata)
{
	struct copy_ctx *c = userdata;

	c->rep.n_assets++;
	return c->to->be->put_asset(c->to, a, true);
}

static int event_cb(const struct ledger_event *e, void *userdata)
{
	struct copy_ctx *c = userdata;
	struct ledger *to = c->to;
	int r;

	r = to->be->insert_event(to, e);
	if (r < 0)
		return r;
	to->head_seq = e->seq;
	snprintf(to->head_hash, sizeof(to->head_hash), "%s", e->hash ?: "");
	to->head_moved = true;
	c->rep.n_events++;
	return 0;
}

static int checkpoint_cb(const struct ledger_checkpoint *k, void *userdata)
{
	struct copy_ctx *c = userdata;

	return c->to->be->put_checkpoint(c->to, k);
}

/* an archived ledger: its live chain starts after the archived head */
static int archived(struct copy_ctx *c)
{
	char hash[LEDGER_HASH_HEX];
	uint64_t seq;
	int r;

	r = ledger_archived_head(c->from, &seq, hash);
	if (r < 0 || !seq)
		return r;
	r = c->to->be->drop_events(c->to, seq, hash);
	if (r >= 0)
		r = ledger_checkpoints(c->from, NULL, checkpoint_cb, c);
	return r;
}

static int case_cb(const struct ledger_case *k, void *userdata)
{
	struct copy_ctx *c = userdata;
	int r;

	r = c->to->be->put_case(c->to, k);
	c->rep.n_cases++;
	if (r >= 0 && k->decision) {
		r = c->to->be->put_decision(c->to, k);
		c->rep.n_decisions++;
	}
	return r;
}

/* inside the source's read transaction: one snapshot, verified, copied */
static int read_tx(struct ledger *from, void *ctx)
{
	struct copy_ctx *c = ctx;
	int r;

	r = ledger_verify_tx(from, NULL, &c->source);
	if (r >= 0)
		r = archived(c);
	if (r >= 0)
		r = ledger_asset_list(from, NULL, asset_cb, c);
	if (r >= 0)
		r = ledger_history(from, NULL, event_cb, c);
	if (r >= 0)
		r = ledger_cases(from, NULL, LEDGER_CASE_BODIES | LEDGER_CASE_PDF, case_cb, c);
	return r;
}

static int copy_tx(struct ledger *to, void *ctx)
{
	struct copy_ctx *c = ctx;
	struct ledger_verify_result v = {};
	int r;

	/* into an empty store only: a merge of two chains is no chain */
	if (to->head_seq)
		return -ENOTEMPTY;
	r = to->be->assets(to, NULL, false, any_asset, NULL);
	if (r < 0)
		return r;
	r = ledger_tx_read(c->from, read_tx, c);
	if (r < 0)
		return r;
	/* the copy, before it commits, is the same chain */
	r = to->head_moved ? to->be->save_head(to, to->head_seq, to->head_hash) : 0;
	if (r >= 0)
		r = ledger_verify_tx(to, NULL, &v);
	if (r < 0)
		return r;
	if (v.head_seq != c->source.head_seq || !streq(v.head_hash, c->source.head_hash))
		return -EBADMSG;
	c->rep.head_seq = v.head_seq;
	memcpy(c->rep.head_hash, v.head_hash, sizeof(c->rep.head_hash));
	return 0;
}

int ledger_copy(struct ledger *from, struct ledger *to, struct ledger_copy_report *ret)
{
	struct copy_ctx c = { .from = from, .to = to };
	int r;

	if (from == to)
		return -EINVAL;
	r = ledger_tx_write(to, copy_tx, &c);
	if (r < 0)
		return r;
	*ret = c.rep;
	return 0;
}
