/*
 * phone_regex.c — a small regular-expression matcher for libphonenumber's patterns.
 *
 * The numbering-plan patterns use a narrow subset: digits, \d, [classes], (groups),
 * (?:groups), |, ?, *, +, {n}, {n,}, {n,m} and $. They are matched against digit strings
 * of at most a few dozen characters, millions of times. So a pattern is compiled once
 * into a tiny program (repetitions unrolled) and run by a backtracking machine with
 * Perl's leftmost-first semantics — the semantics libphonenumber's own regex engines
 * (RE2, ICU) give its captures, which POSIX engines do not.
 */
#include "postgres.h"

#include "phone_regex.h"

typedef enum Op
{
	OP_CLASS,					/* one digit in mask */
	OP_SPLIT,					/* try x, then y */
	OP_JMP,
	OP_SAVE,					/* remember position in slot x */
	OP_EOL,						/* at the end of the input */
	OP_MATCH
} Op;

typedef struct Inst
{
	uint8		op;
	uint16		mask;
	int			x;
	int			y;
} Inst;

struct PhoneRegex
{
	int			ninst;
	Inst		inst[FLEXIBLE_ARRAY_MEMBER];
};

typedef struct Compiler
{
	const char *pattern;
	Inst	   *inst;
	int			n;
	int			cap;
	int			groups;
} Compiler;

#define MAX_STEPS 100000		/* backtracking budget; patterns never come near it */

static int
Emit(Compiler *c, Op op, uint16 mask, int x, int y)
{
	if (c->n == c->cap)
	{
		c->cap *= 2;
		c->inst = repalloc(c->inst, sizeof(Inst) * c->cap);
	}
	c->inst[c->n] = (Inst) {.op = op, .mask = mask, .x = x, .y = y};
	return c->n++;
}

static void CompileAlt(Compiler *c, int lo, int hi);

/* Index of the ')' closing the '(' at pos. */
static int
CloseParen(const char *p, int pos, int hi)
{
	int			depth = 0;

	for (int i = pos; i < hi; i++)
	{
		if (p[i] == '\\')
			i++;
		else if (p[i] == '[')
			while (i < hi && p[i] != ']')
				i++;
		else if (p[i] == '(')
			depth++;
		else if (p[i] == ')' && --depth == 0)
			return i;
	}
	elog(ERROR, "unbalanced parenthesis in phone pattern \"%s\"", p);
	return -1;
}

/* End (exclusive) of the atom starting at pos. */
static int
AtomEnd(const char *p, int pos, int hi)
{
	if (p[pos] == '(')
		return CloseParen(p, pos, hi) + 1;
	if (p[pos] == '[')
	{
		const char *close = memchr(p + pos, ']', hi - pos);

		if (close == NULL)
			elog(ERROR, "unbalanced bracket in phone pattern \"%s\"", p);
		return close - p + 1;
	}
	if (p[pos] == '\\')
		return pos + 2;
	return pos + 1;
}

static uint16
ClassMask(const char *p, int lo, int hi)
{
	uint16		mask = 0;
	bool		negate = p[lo] == '^';

	for (int i = lo + negate; i < hi; i++)
	{
		if (p[i] == '\\' && i + 1 < hi && p[i + 1] == 'd')
		{
			mask |= 0x3ff;
			i++;
		}
		else if (i + 2 < hi && p[i + 1] == '-' && p[i] >= '0' && p[i + 2] <= '9')
		{
			for (char d = p[i]; d <= p[i + 2]; d++)
				mask |= 1 << (d - '0');
			i += 2;
		}
		else if (p[i] >= '0' && p[i] <= '9')
			mask |= 1 << (p[i] - '0');
	}
	return negate ? (~mask & 0x3ff) : mask;
}

static void
CompileAtom(Compiler *c, int lo, int hi)
{
	const char *p = c->pattern;

	if (p[lo] == '(')
	{
		int			close = hi - 1;

		if (p[lo + 1] == '?' && p[lo + 2] == ':')
			CompileAlt(c, lo + 3, close);
		else
		{
			int			g = ++c->groups;

			Emit(c, OP_SAVE, 0, 2 * g, 0);
			CompileAlt(c, lo + 1, close);
			Emit(c, OP_SAVE, 0, 2 * g + 1, 0);
		}
	}
	else if (p[lo] == '[')
		Emit(c, OP_CLASS, ClassMask(p, lo + 1, hi - 1), 0, 0);
	else if (p[lo] == '\\' && p[lo + 1] == 'd')
		Emit(c, OP_CLASS, 0x3ff, 0, 0);
	else if (p[lo] >= '0' && p[lo] <= '9')
		Emit(c, OP_CLASS, 1 << (p[lo] - '0'), 0, 0);
	else if (p[lo] == '$')
		Emit(c, OP_EOL, 0, 0, 0);
	else
		elog(ERROR, "unsupported construct '%c' in phone pattern \"%s\"", p[lo], p);
}

/* The atom repeated min..max times (max -1: unbounded). */
static void
CompileRepeat(Compiler *c, int lo, int hi, int min, int max)
{
	int			groups = c->groups;
	int			pending[64];
	int			npending = 0;

	for (int i = 0; i < min; i++)
	{
		c->groups = groups;		/* a repeated group keeps its number */
		CompileAtom(c, lo, hi);
	}
	if (max < 0)
	{
		int			loop = Emit(c, OP_SPLIT, 0, 0, 0);

		c->groups = groups;
		c->inst[loop].x = c->n;
		CompileAtom(c, lo, hi);
		Emit(c, OP_JMP, 0, loop, 0);
		c->inst[loop].y = c->n;
		return;
	}
	for (int i = min; i < max; i++)
	{
		int			split = Emit(c, OP_SPLIT, 0, 0, 0);

		if (npending >= (int) lengthof(pending))
			elog(ERROR, "repetition too large in phone pattern \"%s\"", c->pattern);
		pending[npending++] = split;
		c->inst[split].x = c->n;
		c->groups = groups;
		CompileAtom(c, lo, hi);
	}
	for (int i = 0; i < npending; i++)
		c->inst[pending[i]].y = c->n;
	if (min == 0 && max == 0)
		c->groups = groups;
}

static void
CompileSeq(Compiler *c, int lo, int hi)
{
	const char *p = c->pattern;
	int			pos = lo;

	while (pos < hi)
	{
		int			end = AtomEnd(p, pos, hi);
		int			min = 1,
					max = 1;
		int			next = end;

		if (end < hi && p[end] == '?')
			min = 0, next = end + 1;
		else if (end < hi && p[end] == '*')
			min = 0, max = -1, next = end + 1;
		else if (end < hi && p[end] == '+')
			max = -1, next = end + 1;
		else if (end < hi && p[end] == '{')
		{
			char	   *after;

			min = (int) strtol(p + end + 1, &after, 10);
			max = min;
			if (*after == ',')
				max = after[1] == '}' ? -1 : (int) strtol(after + 1, &after, 10);
			if (max == -1)
				after++;
			after = strchr(after, '}');
			if (after == NULL)
				elog(ERROR, "unbalanced brace in phone pattern \"%s\"", p);
			next = after - p + 1;
		}
		if (min == 1 && max == 1)
			CompileAtom(c, pos, end);
		else
			CompileRepeat(c, pos, end, min, max);
		pos = next;
	}
}

static void
CompileAlt(Compiler *c, int lo, int hi)
{
	const char *p = c->pattern;
	int			start = lo;
	int			depth = 0;
	int			jumps[512];
	int			njumps = 0;

	for (int i = lo; i <= hi; i++)
	{
		if (i < hi && p[i] == '\\')
		{
			i++;
			continue;
		}
		if (i < hi && p[i] == '[')
		{
			while (i < hi && p[i] != ']')
				i++;
			continue;
		}
		if (i < hi && p[i] == '(')
			depth++;
		else if (i < hi && p[i] == ')')
			depth--;
		else if (i == hi || (p[i] == '|' && depth == 0))
		{
			if (i == hi && start == lo)
			{
				CompileSeq(c, lo, hi);	/* no alternation */
				return;
			}
			if (i < hi)
			{
				int			split = Emit(c, OP_SPLIT, 0, 0, 0);

				c->inst[split].x = c->n;
				CompileSeq(c, start, i);
				if (njumps >= (int) lengthof(jumps))
					elog(ERROR, "too many alternatives in phone pattern");
				jumps[njumps++] = Emit(c, OP_JMP, 0, 0, 0);
				c->inst[split].y = c->n;
			}
			else
				CompileSeq(c, start, i);
			start = i + 1;
		}
	}
	for (int j = 0; j < njumps; j++)
		c->inst[jumps[j]].x = c->n;
}

PhoneRegex *
phone_regex_compile(const char *pattern, MemoryContext mcxt)
{
	Compiler	c = {.pattern = pattern, .cap = 64};
	PhoneRegex *re;
	MemoryContext old = MemoryContextSwitchTo(mcxt);

	c.inst = palloc(sizeof(Inst) * c.cap);
	CompileAlt(&c, 0, strlen(pattern));
	Emit(&c, OP_MATCH, 0, 0, 0);
	re = palloc(offsetof(PhoneRegex, inst) + sizeof(Inst) * c.n);
	re->ninst = c.n;
	memcpy(re->inst, c.inst, sizeof(Inst) * c.n);
	pfree(c.inst);
	MemoryContextSwitchTo(old);
	return re;
}

typedef struct Run
{
	const PhoneRegex *re;
	const char *s;
	int			len;
	bool		full;
	int		   *slots;
	int			steps;
	int			end;
} Run;

static bool
Step(Run *r, int pc, int pos)
{
	for (;;)
	{
		const Inst *in = &r->re->inst[pc];

		if (++r->steps > MAX_STEPS)
			return false;
		switch (in->op)
		{
			case OP_CLASS:
				if (pos >= r->len || !(in->mask & (1 << (r->s[pos] - '0'))))
					return false;
				pc++;
				pos++;
				break;
			case OP_JMP:
				pc = in->x;
				break;
			case OP_SPLIT:
				if (Step(r, in->x, pos))
					return true;
				pc = in->y;
				break;
			case OP_SAVE:
				{
					int			old = in->x < PHONE_REGEX_SLOTS ? r->slots[in->x] : 0;

					if (in->x < PHONE_REGEX_SLOTS)
						r->slots[in->x] = pos;
					if (Step(r, pc + 1, pos))
						return true;
					if (in->x < PHONE_REGEX_SLOTS)
						r->slots[in->x] = old;
					return false;
				}
			case OP_EOL:
				if (pos != r->len)
					return false;
				pc++;
				break;
			case OP_MATCH:
				if (r->full && pos != r->len)
					return false;
				r->end = pos;
				return true;
		}
	}
}

int
phone_regex_match(const PhoneRegex *re, const char *digits, int len, bool full,
				  int slots[PHONE_REGEX_SLOTS])
{
	int			local[PHONE_REGEX_SLOTS];
	Run			r = {.re = re, .s = digits, .len = len, .full = full,
	.slots = slots ? slots : local};

	for (int i = 0; i < PHONE_REGEX_SLOTS; i++)
		r.slots[i] = -1;
	return Step(&r, 0, 0) ? r.end : -1;
}
