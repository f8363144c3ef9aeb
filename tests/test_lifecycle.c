/* test_lifecycle.c - the lifecycle table (src/ledger/lifecycle.c): every
 * transition of the table allowed with what it needs, every other pair of
 * statuses refused, each need missing refused, steps' moves refused by
 * hand, who may record what, which commands each status blocks (written
 * out here by hand, not read from the table), the status an asset returns
 * to, and which moves wait for an approver. */
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "wipecert/ledger.h"
#include "wipecert/lifecycle.h"
#include "wipecert/util.h"

static void asset(struct ledger_asset *a, const char *status)
{
	*a = (struct ledger_asset) {};
	assert_int_equal(ledger_asset_set(a, LEDGER_F_ASSET_ID, "A-1"), 0);
	assert_int_equal(ledger_asset_set(a, LEDGER_F_SERIAL, "S-1"), 0);
	assert_int_equal(ledger_asset_set(a, LEDGER_F_STATUS, status), 0);
}

/* Everything any transition may need, so that only the move is judged. */
static void fill_needs(struct ledger_asset *a)
{
	assert_int_equal(ledger_asset_set(a, LEDGER_F_PERMITTED_BY, "課長 鈴木"), 0);
	assert_int_equal(ledger_asset_set(a, LEDGER_F_INCIDENT, "INC-2026-7"), 0);
	assert_int_equal(ledger_asset_set(a, LEDGER_F_THREAT, "2"), 0);
	assert_int_equal(ledger_asset_set(a, LEDGER_F_AGREEMENT, "保守-33"), 0);
	assert_int_equal(ledger_asset_set(a, LEDGER_F_LEASE, "東京センチュリー"), 0);
}

static int check(enum ledger_status from, enum ledger_status to, unsigned by, int role, int previous)
{
	struct ledger_asset o, n;
	char why[300] = "";
	int r;

	asset(&o, ledger_status_name(from));
	fill_needs(&o);
	asset(&n, ledger_status_name(to));
	fill_needs(&n);
	r = lifecycle_check(&o, &n, by, role, "Taro", previous, why, sizeof(why));
	if (r == -EPERM)
		assert_true(strlen(why) > 0);
	ledger_asset_clear(&o);
	ledger_asset_clear(&n);
	return r;
}

static int first_by(unsigned by)
{
	for (int b = 0; b < 8; b++)
		if (by & (1u << b))
			return 1 << b;
	return 0;
}

/* Each row, from each status it names: allowed as it says, gated or not. */
static void test_every_transition(void **state)
{
	(void)state;
	for (size_t i = 0; i < lifecycle_n_transitions(); i++) {
		const struct lc_transition *t = lifecycle_transition(i);
		int want = (t->needs & LC_NEED_APPROVER) ? 1 : 0;
		int role = (t->roles & LC_ROLE(TRUST_ROLE_TECHNICIAN)) ? TRUST_ROLE_TECHNICIAN : TRUST_ROLE_APPROVER;

		for (unsigned f = 0; f < _LEDGER_STATUS_MAX; f++) {
			enum ledger_status to = t->to;

			if (!(t->from & LC_S(f)))
				continue;
			/* a return goes back to the status before: say it was retired */
			if (t->needs & LC_NEED_PREVIOUS)
				to = LEDGER_STATUS_RETIRED;
			if (to == f)
				continue;
			if (check(f, to, (unsigned)first_by(t->by), role,
				  (t->needs & LC_NEED_PREVIOUS) ? LEDGER_STATUS_RETIRED : -1) != want)
				fail_msg("%s -> %s (%s): want %d", ledger_status_name(f), ledger_status_name(to), t->what,
					 want);
		}
	}
}

/* Every pair the table has no row for is refused, by hand or as a step. */
static void test_every_refusal(void **state)
{
	size_t allowed = 0, refused = 0;

	(void)state;
	for (unsigned f = 0; f < _LEDGER_STATUS_MAX; f++)
		for (unsigned t = 0; t < _LEDGER_STATUS_MAX; t++) {
			bool row = false;

			if (f == t)
				continue;
			for (size_t i = 0; i < lifecycle_n_transitions(); i++) {
				const struct lc_transition *x = lifecycle_transition(i);

				row |= (x->from & LC_S(f)) && ((x->needs & LC_NEED_PREVIOUS) ? true : x->to == t);
			}
			if (row) {
				allowed++;
				continue;
			}
			refused++;
			if (check(f, t, LC_BY_ANY, TRUST_ROLE_APPROVER, -1) != -EPERM)
				fail_msg("%s -> %s allowed, but the table has no row for it", ledger_status_name(f),
					 ledger_status_name(t));
		}
	/* the final statuses are left by nothing */
	assert_int_equal(check(LEDGER_STATUS_DISPOSED, LEDGER_STATUS_IN_SERVICE, LC_BY_ANY, TRUST_ROLE_APPROVER, -1), -EPERM);
	assert_int_equal(check(LEDGER_STATUS_WRITTEN_OFF, LEDGER_STATUS_DISPOSED, LC_BY_ANY, TRUST_ROLE_APPROVER, -1), -EPERM);
	assert_int_equal(check(LEDGER_STATUS_LEASE_RETURNED, LEDGER_STATUS_ERASED, LC_BY_ANY, TRUST_ROLE_APPROVER, -1), -EPERM);
	/* a lost medium is never disposed of, nor certified */
	assert_int_equal(check(LEDGER_STATUS_LOST, LEDGER_STATUS_DISPOSED, LC_BY_ANY, TRUST_ROLE_APPROVER, -1), -EPERM);
	assert_int_equal(check(LEDGER_STATUS_STOLEN, LEDGER_STATUS_DESTROYED, LC_BY_ANY, TRUST_ROLE_APPROVER, -1), -EPERM);
	assert_int_equal(check(LEDGER_STATUS_LOST, LEDGER_STATUS_APPROVED, LC_BY_ANY, TRUST_ROLE_APPROVER, -1), -EPERM);
	/* a lease return only after an erasure */
	assert_int_equal(check(LEDGER_STATUS_IN_SERVICE, LEDGER_STATUS_LEASE_RETURNED, LC_BY_ANY, TRUST_ROLE_APPROVER, -1),
			 -EPERM);
	printf("# %zu moves with a row, %zu refused\n", allowed, refused);
	assert_int_equal(allowed + refused, _LEDGER_STATUS_MAX * (_LEDGER_STATUS_MAX - 1));
	/* the table's size, so that a row added or dropped is a decision
	 * this test is told about (a return counts once per target) */
	assert_int_equal(allowed, 131);
	assert_int_equal(refused, 79);
}

/* What only a step does is refused by hand: erased, approved, destroyed,
 * the disposal on acceptance. */
static void test_steps_not_by_hand(void **state)
{
	(void)state;
	assert_int_equal(check(LEDGER_STATUS_AWAITING_ERASURE, LEDGER_STATUS_ERASED, LC_BY_EDIT, TRUST_ROLE_TECHNICIAN, -1),
			 -EPERM);
	assert_int_equal(check(LEDGER_STATUS_AWAITING_ERASURE, LEDGER_STATUS_ERASED, LC_BY_SEAL, TRUST_ROLE_TECHNICIAN, -1), 0);
	assert_int_equal(check(LEDGER_STATUS_ERASED, LEDGER_STATUS_APPROVED, LC_BY_EDIT, TRUST_ROLE_APPROVER, -1), -EPERM);
	assert_int_equal(check(LEDGER_STATUS_ERASED, LEDGER_STATUS_APPROVED, LC_BY_CERT, TRUST_ROLE_APPROVER, -1), 0);
	assert_int_equal(check(LEDGER_STATUS_RETIRED, LEDGER_STATUS_DESTROYED, LC_BY_EDIT, TRUST_ROLE_APPROVER, -1), -EPERM);
	assert_int_equal(check(LEDGER_STATUS_HANDED_TO_CONTRACTOR, LEDGER_STATUS_DISPOSED, LC_BY_EDIT, TRUST_ROLE_APPROVER, -1),
			 -EPERM);
	assert_int_equal(check(LEDGER_STATUS_HANDED_TO_CONTRACTOR, LEDGER_STATUS_DISPOSED, LC_BY_ACCEPT, TRUST_ROLE_APPROVER,
			       -1), 0);
	/* a certificate's move is an approver's */
	assert_int_equal(check(LEDGER_STATUS_ERASED, LEDGER_STATUS_APPROVED, LC_BY_CERT, TRUST_ROLE_TECHNICIAN, -1), -EPERM);
}

static int move(const char *from, const char *to, void (*edit)(struct ledger_asset *), const char *actor, int previous)
{
	struct ledger_asset o, n;
	char why[300];
	int r;

	asset(&o, from);
	asset(&n, to);
	if (edit)
		edit(&n);
	r = lifecycle_check(&o, &n, LC_BY_EDIT, TRUST_ROLE_TECHNICIAN, actor, previous, why, sizeof(why));
	ledger_asset_clear(&o);
	ledger_asset_clear(&n);
	return r;
}

static void permit(struct ledger_asset *a) { ledger_asset_set(a, LEDGER_F_PERMITTED_BY, "課長 鈴木"); }
static void self_permit(struct ledger_asset *a) { ledger_asset_set(a, LEDGER_F_PERMITTED_BY, "Taro"); }
static void incident(struct ledger_asset *a) { ledger_asset_set(a, LEDGER_F_INCIDENT, "INC-1"); }
static void incident_threat(struct ledger_asset *a) { incident(a); ledger_asset_set(a, LEDGER_F_THREAT, "3"); }
static void agreement(struct ledger_asset *a) { ledger_asset_set(a, LEDGER_F_AGREEMENT, "保守-33"); }
static void lease(struct ledger_asset *a) { ledger_asset_set(a, LEDGER_F_LEASE, "リース会社"); }

/* Each need missing is refused; present, allowed. */
static void test_needs(void **state)
{
	(void)state;
	assert_int_equal(move("in-service", "taken-out", NULL, "Taro", -1), -EPERM);
	assert_int_equal(move("in-service", "taken-out", self_permit, "Taro", -1), -EPERM);
	assert_int_equal(move("in-service", "taken-out", permit, "Taro", -1), 0);
	assert_int_equal(move("in-service", "lost", NULL, "Taro", -1), -EPERM);
	assert_int_equal(move("in-service", "lost", incident, "Taro", -1), -EPERM);
	assert_int_equal(move("in-service", "lost", incident_threat, "Taro", -1), 0);
	assert_int_equal(move("retired", "evidence-hold", NULL, "Taro", -1), -EPERM);
	assert_int_equal(move("retired", "evidence-hold", incident, "Taro", -1), 0);
	/* sent out with its data only under a contract that covers it */
	assert_int_equal(move("in-service", "in-repair", NULL, "Taro", -1), -EPERM);
	assert_int_equal(move("in-service", "in-repair", agreement, "Taro", -1), 0);
	assert_int_equal(move("erased", "in-repair", NULL, "Taro", -1), 0);
	assert_int_equal(move("erased", "lease-returned", NULL, "Taro", -1), -EPERM);
	assert_int_equal(move("erased", "lease-returned", lease, "Taro", -1), 0);
	/* back to the status before, not any */
	assert_int_equal(move("taken-out", "awaiting-erasure", NULL, "Taro", LEDGER_STATUS_RETIRED), -EPERM);
	assert_int_equal(move("taken-out", "retired", NULL, "Taro", LEDGER_STATUS_RETIRED), 0);
	assert_int_equal(move("evidence-hold", "erased", NULL, "Taro", LEDGER_STATUS_AWAITING_ERASURE), -EPERM);
	assert_int_equal(move("evidence-hold", "awaiting-erasure", NULL, "Taro", LEDGER_STATUS_AWAITING_ERASURE), 1);
	/* history silent: only the plain statuses */
	assert_int_equal(move("taken-out", "erased", NULL, "Taro", -1), -EPERM);
	assert_int_equal(move("taken-out", "in-service", NULL, "Taro", -1), 0);
	/* a new asset in a status holds what that status needs */
	struct ledger_asset n;
	char why[300];

	asset(&n, "stolen");
	assert_int_equal(lifecycle_check(NULL, &n, LC_BY_EDIT, -1, "Taro", -1, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "incident"));
	incident_threat(&n);
	assert_int_equal(lifecycle_check(NULL, &n, LC_BY_EDIT, -1, "Taro", -1, why, sizeof(why)), 0);
	ledger_asset_clear(&n);
}

/* Which commands each status allows, written out by hand. */
static void test_blocks(void **state)
{
	static const struct {
		const char *status;
		unsigned allows;
	} want[] = {
		{ "in-service", LC_OP_WIPE | LC_OP_DESTROY | LC_OP_APPROVE | LC_OP_HANDOVER },
		{ "retired", LC_OP_WIPE | LC_OP_DESTROY | LC_OP_APPROVE | LC_OP_HANDOVER },
		{ "awaiting-erasure", LC_OP_WIPE | LC_OP_DESTROY | LC_OP_APPROVE | LC_OP_HANDOVER },
		{ "erased", LC_OP_WIPE | LC_OP_DESTROY | LC_OP_APPROVE | LC_OP_HANDOVER },
		{ "approved", LC_OP_WIPE | LC_OP_DESTROY | LC_OP_APPROVE | LC_OP_HANDOVER },
		{ "disposed", 0 },
		{ "handed-to-contractor", LC_OP_ACCEPT },
		{ "destroyed", 0 },
		{ "taken-out", 0 },
		{ "lost", 0 },
		{ "stolen", 0 },
		{ "written-off", 0 },
		{ "in-repair", 0 },
		{ "lease-returned", 0 },
		{ "evidence-hold", 0 },
	};
	char why[300];

	(void)state;
	assert_int_equal(ARRAY_SIZE(want), _LEDGER_STATUS_MAX);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		for (unsigned op = 1; op < LC_OP_ALL; op <<= 1) {
			int r = lifecycle_allows(want[i].status, (enum lc_op)op, why, sizeof(why));

			if ((r == 0) != !!(want[i].allows & op))
				fail_msg("%s, op %u: got %d (%s)", want[i].status, op, r, why);
		}
	assert_int_equal(lifecycle_allows("evidence-hold", LC_OP_WIPE, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "evidence hold"));
	assert_int_equal(lifecycle_allows("stolen", LC_OP_APPROVE, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "not a disposal"));
}

static void add(struct lc_history *h, const char *from, const char *to)
{
	char ch[200];

	if (from)
		snprintf(ch, sizeof(ch), "{\"status\":[\"%s\",\"%s\"]}", from, to);
	else
		snprintf(ch, sizeof(ch), "{\"asset_id\":[null,\"A\"],\"status\":[null,\"%s\"]}", to);
	lifecycle_history_add(h, ch);
}

static const char *prev(const struct lc_history *h)
{
	enum ledger_status s;

	return lifecycle_history_previous(h, &s) == 0 ? ledger_status_name(s) : NULL;
}

/* Nested: lost while taken out is found taken out, then returned. */
static void test_history(void **state)
{
	struct lc_history h = {};

	(void)state;
	add(&h, NULL, "awaiting-erasure");
	assert_null(prev(&h));
	add(&h, "awaiting-erasure", "taken-out");
	assert_string_equal(prev(&h), "awaiting-erasure");
	add(&h, "taken-out", "lost");
	assert_string_equal(prev(&h), "taken-out");
	add(&h, "lost", "stolen");                /* reclassified: the same incident */
	assert_string_equal(prev(&h), "taken-out");
	add(&h, "stolen", "taken-out");           /* found */
	assert_string_equal(prev(&h), "awaiting-erasure");
	add(&h, "taken-out", "awaiting-erasure"); /* returned */
	assert_null(prev(&h));
	lifecycle_history_add(&h, "{\"notes\":[null,\"x\"]}");
	assert_null(prev(&h));
}

static void test_needs_approval(void **state)
{
	(void)state;
	assert_true(lifecycle_needs_approval("evidence-hold", "awaiting-erasure"));
	assert_true(lifecycle_needs_approval("lost", "written-off"));
	assert_true(lifecycle_needs_approval("stolen", "in-service"));
	assert_true(lifecycle_needs_approval("retired", "in-service"));
	assert_true(lifecycle_needs_approval("awaiting-erasure", "handed-to-contractor"));
	assert_false(lifecycle_needs_approval("in-service", "taken-out"));
	assert_false(lifecycle_needs_approval("taken-out", "in-service")); /* a return */
	assert_false(lifecycle_needs_approval("in-service", "evidence-hold"));
	assert_false(lifecycle_needs_approval("in-service", "lost"));
	assert_false(lifecycle_needs_approval(NULL, "in-service"));
	/* a pair an old ledger recorded, not in the table: the rule before it */
	assert_true(lifecycle_needs_approval("disposed", "in-service"));
	assert_false(lifecycle_needs_approval("disposed", "retired"));
}

/* Japanese registers' words for the statuses. */
static void test_status_names(void **state)
{
	static const char *const ja[][2] = {
		{ "稼働中", "in-service" }, { "使用中", "in-service" }, { "消去待ち", "awaiting-erasure" },
		{ "廃棄済み", "disposed" }, { "持出し中", "taken-out" }, { "紛失", "lost" }, { "盗難", "stolen" },
		{ "除却", "written-off" }, { "修理中", "in-repair" }, { "リース返却済み", "lease-returned" },
		{ "証拠保全", "evidence-hold" }, { "Evidence-Hold", "evidence-hold" },
	};
	enum ledger_status s;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ja); i++) {
		assert_int_equal(ledger_status_from_string(ja[i][0], &s), 0);
		assert_string_equal(ledger_status_name(s), ja[i][1]);
	}
	assert_int_equal(ledger_status_from_string("scrapped", &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_transition),
		cmocka_unit_test(test_every_refusal),
		cmocka_unit_test(test_steps_not_by_hand),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_needs_approval),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
