# privacybee — PGXS build of the extension, plus the privacybee-fcgi front-end.
#
#   make            build both
#   make install    the extension (into pg_config's directories) and privacybee-fcgi, its
#                   systemd units and nginx snippets (under PREFIX); DESTDIR= stages it
#   make install-extension   the extension only (what run, test, bench and soak use)
#   make dist       privacybee-<version>.zip for PGXN
#   make run        serve the API with demo data on 127.0.0.1:$(PORT)
#   make stop       stop what make run started
#   make test       pg_regress + HTTP suites on a throwaway instance
#   make bench      the benchmarks, beside their ceilings and peers (never part of make test);
#                   shards.sh: one database against PL/Proxy + 2 shards, and a hot standby
#   make soak       1M mixed requests to privacybee-fcgi under ASan/UBSan/LSan
#   make fuzz       libFuzzer over the request path for FUZZ_TIME seconds (make test: briefly)
#   make routes     regenerate what the route registry api/routes generates

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
# a released version's own control file, where it differs (sql/privacybee--0.1.0.control)
DATA = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql)) \
       $(wildcard sql/$(EXTENSION)--*.control)

REGRESS = $(patsubst regress/sql/%.sql,%,$(sort $(wildcard regress/sql/*.sql)))
# the contrib extension privacybee.control requires, then privacybee
REGRESS_OPTS = --inputdir=regress --outputdir=.test/regress --load-extension=unaccent \
               --load-extension=$(EXTENSION)

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

# sql/prelude/: re-runnable definitions the tables need (a function a generated column
# computes with), run first by both scripts
PRELUDE = $(sort $(wildcard sql/prelude/*.sql))

$(CURRENT_SQL): FORCE
	$(call assemble_sql,CREATE EXTENSION $(EXTENSION),$(PRELUDE) $(sort $(wildcard sql/schema/*.sql)) $(LOGIC))

$(UPGRADE_SQL): FORCE
	$(call assemble_sql,ALTER EXTENSION $(EXTENSION) UPDATE TO '"'"'$(EXTVERSION)'"'"',$(PRELUDE) $(sort $(wildcard sql/upgrade/$(PREVVERSION)--$(EXTVERSION)/*.sql)) $(LOGIC))

FORCE:

# ---- privacybee-fcgi ------------------------------------------------------------------

FCGI_SRCS = $(sort $(wildcard fcgi/*.c))
# extension/text_chars.h: the rule of which characters text may hold, shared with the extension
FCGI_HDRS = $(wildcard fcgi/*.h) extension/text_chars.h
FCGI_CFLAGS = -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
              -DPRIVACYBEE_VERSION='"$(EXTVERSION)"' -I$(shell $(PG_CONFIG) --includedir) \
              $(XML_CFLAGS)
# libxml2 reads WebDAV request bodies (fcgi/xml.c)
XML_CFLAGS = -I/usr/include/libxml2
FCGI_LIBS = -lfcgi -ljansson -lcrypto -lcurl -lxml2 -L$(shell $(PG_CONFIG) --libdir) -lpq -lpthread
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

all: fcgi/privacybee-fcgi

# privacybee.control: --version prints its default_version
fcgi/privacybee-fcgi: $(FCGI_SRCS) $(FCGI_HDRS) privacybee.control
	$(CC) $(FCGI_CFLAGS) -o $@ $(FCGI_SRCS) $(FCGI_LIBS)

# The same program under AddressSanitizer + UBSan: what make test runs.
fcgi/asan/privacybee-fcgi: $(FCGI_SRCS) $(FCGI_HDRS) privacybee.control
	@mkdir -p fcgi/asan
	$(CC) $(FCGI_CFLAGS) -O1 $(SAN_FLAGS) -o $@ $(FCGI_SRCS) $(FCGI_LIBS)

# libFuzzer over the request path (regress/fuzz/fuzz_request.c): the handler and what it
# calls, with libfcgi and the database replaced by the harness.
FUZZ_SRCS = $(filter-out fcgi/main.c fcgi/worker.c fcgi/db.c fcgi/delivery.c,$(FCGI_SRCS)) regress/fuzz/fuzz_request.c
FUZZ_TIME ?= 3600

fcgi/fuzz/fuzz-request: $(FUZZ_SRCS) $(FCGI_HDRS)
	@mkdir -p fcgi/fuzz
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Ifcgi -I$(shell $(PG_CONFIG) --includedir) $(XML_CFLAGS) \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o $@ $(FUZZ_SRCS) -ljansson -lcrypto -lxml2 -L$(shell $(PG_CONFIG) --libdir) -lpq

fuzz: deps fcgi/fuzz/fuzz-request
	@mkdir -p .fuzz/corpus
	fcgi/fuzz/fuzz-request -max_total_time=$(FUZZ_TIME) -max_len=70000 -timeout=10 \
	    -artifact_prefix=.fuzz/ .fuzz/corpus regress/fuzz/seeds

# The numbering-plan table, generated from libphonenumber (needs libphonenumber-dev).
phone-metadata:
	$(CXX) -O1 -o extension/phonemeta/generate extension/phonemeta/generate.cc -lphonenumber -lprotobuf
	extension/phonemeta/generate > extension/phone_metadata_table.h
	rm -f extension/phonemeta/generate

# The route registry, api/routes, and what is generated from it (listed in its header):
# checked in, so a build needs no Python; make test fails while any is stale.
routes:
	python3 api/generate.py

# ---- make install ----------------------------------------------------------------------
#
# PGXS's install puts the extension where pg_config says. privacybee-fcgi is not a
# PostgreSQL program, so it and what runs it follow the usual prefix layout instead
# (docs/operations.md, "Installing"); every directory can be set, and DESTDIR stages the whole install
# (a package build, or regress/packaging/ which verifies it). systemd searches
# $(PREFIX)/lib/systemd/system and $(PREFIX)/lib/sysusers.d for PREFIX /usr/local and /usr.
# The units are templates that make install fills in with the paths below, so they name
# the installed binary and one socket path; the nginx snippets are filled in from their
# templates with make run's default rate limits (fcgi/nginx/configure.sh, which make run
# and make test use too, their development config including the same snippets), and the
# files they include are installed beside them.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SYSTEMD_UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
NGINX_DIR ?= $(PREFIX)/share/privacybee/nginx
DEFAULT_FILE ?= /etc/default/privacybee-fcgi
FCGI_SOCKET ?= /run/privacybee/fcgi.sock
FCGI_USER ?= privacybee
WEB_GROUP ?= www-data

NGINX_INCLUDES = $(filter-out %.in,$(wildcard fcgi/nginx/*.conf))
FCGI_TEMPLATE = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSUSERSDIR@|$(SYSUSERSDIR)|g' \
    -e 's|@NGINX_DIR@|$(NGINX_DIR)|g' -e 's|@DEFAULT_FILE@|$(DEFAULT_FILE)|g' \
    -e 's|@FCGI_SOCKET@|$(FCGI_SOCKET)|g' -e 's|@FCGI_USER@|$(FCGI_USER)|g' \
    -e 's|@WEB_GROUP@|$(WEB_GROUP)|g'

# make install = the extension (PGXS) + the front-end's files + the machine's setup;
# WITH_FCGI=no leaves the front-end out
install: $(if $(filter no,$(WITH_FCGI)),,install-fcgi install-fcgi-setup)
uninstall: $(if $(filter no,$(WITH_FCGI)),,uninstall-fcgi)

install-extension:
	$(MAKE) install WITH_FCGI=no

install-fcgi: fcgi/privacybee-fcgi
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(SYSTEMD_UNITDIR)' \
	    '$(DESTDIR)$(SYSUSERSDIR)' '$(DESTDIR)$(NGINX_DIR)'
	install -m 755 fcgi/privacybee-fcgi '$(DESTDIR)$(BINDIR)/privacybee-fcgi'
	$(FCGI_TEMPLATE) fcgi/systemd/privacybee-fcgi.service.in > '$(DESTDIR)$(SYSTEMD_UNITDIR)/privacybee-fcgi.service'
	$(FCGI_TEMPLATE) fcgi/systemd/privacybee-fcgi.socket.in > '$(DESTDIR)$(SYSTEMD_UNITDIR)/privacybee-fcgi.socket'
	$(FCGI_TEMPLATE) fcgi/systemd/privacybee.sysusers.in > '$(DESTDIR)$(SYSUSERSDIR)/privacybee.conf'
	bash fcgi/nginx/configure.sh '$(DESTDIR)$(NGINX_DIR)' '$(NGINX_DIR)' '$(FCGI_SOCKET)'
	install -m 644 $(NGINX_INCLUDES) '$(DESTDIR)$(NGINX_DIR)/'
	chmod 644 '$(DESTDIR)$(SYSTEMD_UNITDIR)'/privacybee-fcgi.* '$(DESTDIR)$(SYSUSERSDIR)/privacybee.conf' \
	    '$(DESTDIR)$(NGINX_DIR)'/privacybee-*.conf

# A real install (no DESTDIR, as root) sets the machine up too: the service's user now
# rather than at the next boot, and systemd told about the new units. Neither enables
# nor starts anything: docs/operations.md, "Installing".
install-fcgi-setup: install-fcgi
	@if [ -z '$(DESTDIR)' ] && [ "$$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then \
	    echo "systemd-sysusers $(SYSUSERSDIR)/privacybee.conf"; \
	    systemd-sysusers '$(SYSUSERSDIR)/privacybee.conf'; fi
	@if [ -z '$(DESTDIR)' ] && [ "$$(id -u)" = 0 ] && [ -d /run/systemd/system ]; then \
	    echo "systemctl daemon-reload"; systemctl daemon-reload; fi

uninstall-fcgi:
	rm -f '$(DESTDIR)$(BINDIR)/privacybee-fcgi' \
	    '$(DESTDIR)$(SYSTEMD_UNITDIR)/privacybee-fcgi.service' \
	    '$(DESTDIR)$(SYSTEMD_UNITDIR)/privacybee-fcgi.socket' \
	    '$(DESTDIR)$(SYSUSERSDIR)/privacybee.conf' \
	    '$(DESTDIR)$(NGINX_DIR)'/privacybee-http.conf '$(DESTDIR)$(NGINX_DIR)'/privacybee-server.conf \
	    $(addprefix '$(DESTDIR)$(NGINX_DIR)'/,$(notdir $(NGINX_INCLUDES)))
	-rmdir '$(DESTDIR)$(NGINX_DIR)' "$$(dirname '$(DESTDIR)$(NGINX_DIR)')" 2>/dev/null

# make dist: the distribution PGXN takes (META.json at its root), from the committed tree
dist:
	git archive --format zip --prefix=$(EXTENSION)-$(EXTVERSION)/ -o $(EXTENSION)-$(EXTVERSION).zip HEAD

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

# make run prints only what a user needs: the build goes to .run/log/build.log, shown
# only when it fails; then stack.sh's token and curl lines.
run: deps
	@mkdir -p .run/log
	@echo "building and installing the extension (log: .run/log/build.log)"
	@{ $(MAKE) all && $(MAKE) install-extension; } > .run/log/build.log 2>&1 || \
	    { cat .run/log/build.log; echo "make run: the build failed (above, and in .run/log/build.log)" >&2; exit 1; }
	@bash fcgi/stack/stack.sh start .run $(PORT) demo

stop:
	@bash fcgi/stack/stack.sh stop .run

# make test installs into its own PostgreSQL tree (regress/pg-tree.sh), not the system's
test: deps
	$(MAKE) all fcgi/asan/privacybee-fcgi fcgi/fuzz/fuzz-request
	@bash regress/run-tests.sh

# make bench installs into its own PostgreSQL tree too (regress/bench/run.sh)
bench: deps
	@bash fcgi/stack/deps.sh bench
	$(MAKE) all
	@bash regress/bench/run.sh
	@bash regress/bench/search.sh
	@bash regress/bench/carddav.sh
	@bash regress/bench/webhooks.sh
	@bash regress/bench/shards.sh

# make soak installs into its own PostgreSQL tree too (regress/soak/run.sh)
soak: deps
	$(MAKE) all fcgi/asan/privacybee-fcgi
	@bash regress/soak/run.sh

.PHONY: deps run stop test bench soak fuzz routes phone-metadata phone-unicode install-extension \
        install-fcgi install-fcgi-setup uninstall-fcgi dist FORCE
