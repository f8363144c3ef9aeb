/* lifecycle.c - the flow steps ask the ledger's lifecycle table before they
 * act: may this asset, in its status, be wiped, destroyed, certified,
 * handed over, accepted as disposed? (lifecycle.h; docs/ledger.md).
 *
 * One question, one answer, one wording for every step; it must never
 * keep rules of its own beside the table.
 */
#include <errno.h>

#include "wipecert/lifecycle.h"
#include "flow-internal.h"

int flow_lifecycle_allows(const struct ledger_asset *a, enum lc_op op, struct flow_error *err)
{
	char why[300];
	int r;

	r = lifecycle_allows(ledger_asset_value(a, LEDGER_F_STATUS), op, why, sizeof(why));
	if (r < 0)
		return flow_fail(err, -EPERM, "asset %s is %s", ledger_asset_value(a, LEDGER_F_ASSET_ID) ?: "?", why);
	return 0;
}

int flow_lifecycle_check(const struct flow_ctx *c, const char *asset_id, enum lc_op op, struct flow_error *err)
{
	struct ledger_asset a = { 0 };
	int r;

	if (!c->ledger || !asset_id)
		return 0;
	r = ledger_asset_get(c->ledger, asset_id, &a);
	if (r == -ENOENT)
		return 0; /* the step's own check names a missing asset */
	if (r < 0)
		return flow_fail(err, r, "asset %s: cannot read the ledger: %s", asset_id, strerror(-r));
	r = flow_lifecycle_allows(&a, op, err);
	ledger_asset_clear(&a);
	return r;
}
