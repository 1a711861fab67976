# privacybee — PGXS build of the extension, plus the privacybee-fcgi front-end.
#
#   make            build both          make install   install the extension
#   make run        serve the API with demo data on 127.0.0.1:$(PORT)
#   make stop       stop what make run started
#   make test       pg_regress + HTTP suites on a throwaway instance
#   make bench      the benchmarks, each beside its ceiling (never part of make test)
#   make soak       1M mixed requests to privacybee-fcgi under ASan/UBSan/LSan
#   make fuzz       libFuzzer over the request path for FUZZ_TIME seconds (make test: briefly)

EXTENSION = privacybee
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" privacybee.control)

MODULE_big = privacybee
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard extension/*.c)))
# PGXS tracks no header dependencies: a changed header (a regenerated table) rebuilds all
$(OBJS): $(wildcard extension/*.h)

# Versions (docs/versions.md). Released scripts are committed and never change; the
# current version's install script and its upgrade script from the release before are
# built: sql/schema/ (tables, a fresh install only) and sql/upgrade/<prev>--<current>/
# (the hand-written schema changes) each followed by sql/logic/ (functions, views,
# triggers, policies, privileges: every statement re-runnable, so one copy serves both).
PREVVERSION = $(patsubst sql/upgrade/%--$(EXTVERSION),%,$(wildcard sql/upgrade/*--$(EXTVERSION)))
CURRENT_SQL = sql/$(EXTENSION)--$(EXTVERSION).sql
UPGRADE_SQL = $(if $(PREVVERSION),sql/$(EXTENSION)--$(PREVVERSION)--$(EXTVERSION).sql)
DATA_built = $(CURRENT_SQL) $(UPGRADE_SQL)
DATA = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))

REGRESS = $(patsubst regress/sql/%.sql,%,$(sort $(wildcard regress/sql/*.sql)))
REGRESS_OPTS = --inputdir=regress --outputdir=.test/regress --load-extension=$(EXTENSION)

PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
            -Wno-missing-field-initializers
EXTRA_CLEAN = fcgi/*.o fcgi/privacybee-fcgi fcgi/asan fcgi/fuzz .fuzz

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

LOGIC = $(sort $(wildcard sql/logic/*.sql))

# Rebuilt on every make (a part removed must leave the script too), replaced only when
# its text changed, so make install and the tests see a stable file otherwise.
define assemble_sql
	{ echo '\\echo Use "$(1)" to load this file. \\quit'; cat $(2); } > $@.tmp
	cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@
endef

$(CURRENT_SQL): FORCE
	$(call assemble_sql,CREATE EXTENSION $(EXTENSION),$(sort $(wildcard sql/schema/*.sql)) $(LOGIC))

$(UPGRADE_SQL): FORCE
	$(call assemble_sql,ALTER EXTENSION $(EXTENSION) UPDATE TO '"'"'$(EXTVERSION)'"'"',$(sort $(wildcard sql/upgrade/$(PREVVERSION)--$(EXTVERSION)/*.sql)) $(LOGIC))

FORCE:

# ---- privacybee-fcgi ------------------------------------------------------------------

FCGI_SRCS = $(sort $(wildcard fcgi/*.c))
FCGI_HDRS = $(wildcard fcgi/*.h)
FCGI_CFLAGS = -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
              -I$(shell $(PG_CONFIG) --includedir)
FCGI_LIBS = -lfcgi -ljansson -lcrypto -L$(shell $(PG_CONFIG) --libdir) -lpq -lpthread
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

all: fcgi/privacybee-fcgi

fcgi/privacybee-fcgi: $(FCGI_SRCS) $(FCGI_HDRS)
	$(CC) $(FCGI_CFLAGS) -o $@ $(FCGI_SRCS) $(FCGI_LIBS)

# The same program under AddressSanitizer + UBSan: what make test runs.
fcgi/asan/privacybee-fcgi: $(FCGI_SRCS) $(FCGI_HDRS)
	@mkdir -p fcgi/asan
	$(CC) $(FCGI_CFLAGS) -O1 $(SAN_FLAGS) -o $@ $(FCGI_SRCS) $(FCGI_LIBS)

# libFuzzer over the request path (regress/fuzz/fuzz_request.c): the handler and what it
# calls, with libfcgi and the database replaced by the harness.
FUZZ_SRCS = $(filter-out fcgi/main.c fcgi/worker.c fcgi/db.c,$(FCGI_SRCS)) regress/fuzz/fuzz_request.c
FUZZ_TIME ?= 3600

fcgi/fuzz/fuzz-request: $(FUZZ_SRCS) $(FCGI_HDRS)
	@mkdir -p fcgi/fuzz
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Ifcgi -I$(shell $(PG_CONFIG) --includedir) \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o $@ $(FUZZ_SRCS) -ljansson -lcrypto -L$(shell $(PG_CONFIG) --libdir) -lpq

fuzz: deps fcgi/fuzz/fuzz-request
	@mkdir -p .fuzz/corpus
	fcgi/fuzz/fuzz-request -max_total_time=$(FUZZ_TIME) -max_len=70000 -timeout=10 \
	    -artifact_prefix=.fuzz/ .fuzz/corpus regress/fuzz/seeds

# The numbering-plan table, generated from libphonenumber (needs libphonenumber-dev).
phone-metadata:
	$(CXX) -O1 -o extension/phonemeta/generate extension/phonemeta/generate.cc -lphonenumber -lprotobuf
	extension/phonemeta/generate > extension/phone_metadata_table.h
	rm -f extension/phonemeta/generate

# The character classes written numbers are read with, generated from libphonenumber and
# ICU (needs libphonenumber-dev and libicu-dev).
phone-unicode:
	$(CXX) -O1 -o extension/phonemeta/unicode extension/phonemeta/unicode.cc -lphonenumber -licuuc
	extension/phonemeta/unicode > extension/phone_unicode_table.h
	rm -f extension/phonemeta/unicode

# ---- the stack --------------------------------------------------------------------------

PORT ?= 8080

deps:
	@bash fcgi/stack/deps.sh

run: deps
	$(MAKE) all
	$(MAKE) install
	@bash fcgi/stack/stack.sh start .run $(PORT) demo

stop:
	@bash fcgi/stack/stack.sh stop .run

# make test installs into its own PostgreSQL tree (regress/pg-tree.sh), not the system's
test: deps
	$(MAKE) all fcgi/asan/privacybee-fcgi fcgi/fuzz/fuzz-request
	@bash regress/run-tests.sh

bench: deps
	$(MAKE) all
	$(MAKE) install
	@bash regress/bench/run.sh

soak: deps
	$(MAKE) all fcgi/asan/privacybee-fcgi
	$(MAKE) install
	@bash regress/soak/run.sh

.PHONY: deps run stop test bench soak fuzz phone-metadata phone-unicode FORCE
