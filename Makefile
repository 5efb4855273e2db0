# matrx_relations: PGXS build, tests, demo and benchmark.
#
#   make            build the module
#   make install    install it into the server found by pg_config (needs root)
#   make test       build, install, run every test on a throwaway cluster
#                   (PG_CONFIG=/path/to/pg_config: against that server instead)
#   make test-matrix  make test on Debian's 15 and on 15 and 18 (and any other
#                   major version whose Debian source is served) built with
#                   assertions into a private cache (test/pgbuild.sh)
#   make test-asan  the same with the module built with AddressSanitizer
#   make test-citus  the Citus lab: Citus built from ../shared/vendor, a
#                   coordinator and two workers, test/citus/ (test/citus.sh)
#   make test-valgrind  the smaller pg_regress files on a server under valgrind memcheck
#   make demo       show the extension on a small example schema
#   make bench      the reference benchmark (test/bench/, BENCH_SCALE=0.1 for a quick run)
#   make fuzz       sqlsmith and the differential fuzzer, bounded (FUZZ_SECONDS=120)
#   make dist       HEAD as matrx_relations-VERSION.tar.gz (git archive)
#   make distcheck  that tarball unpacked in a temporary directory passes make test

EXTENSION   = matrx_relations
EXTVERSION  = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = matrx_relations
OBJS = \
	src/matrx_relations.o \
	src/catalog.o \
	src/metacache.o \
	src/register.o \
	src/junction.o \
	src/model.o \
	src/polymorphic.o \
	src/reverse.o \
	src/publish.o \
	src/keys.o \
	src/keyrows.o \
	src/deparse.o \
	src/sqlgen.o \
	src/path.o \
	src/spec.o \
	src/where.o \
	src/request.o \
	src/batch.o \
	src/retry.o \
	src/loader.o \
	src/rowset.o \
	src/documents.o \
	src/cache.o \
	src/citus.o \
	src/citusmatch.o \
	src/regsync.o \
	src/assemble.o \
	src/joined.o \
	src/plancache.o \
	src/execute.o \
	src/fetch.o \
	src/typed.o \
	src/typedstream.o \
	src/typedfuncs.o \
	src/functions.o

# The one editable install script; the versioned copy is generated from it.
# Released versions stay installable and upgradable: their frozen install
# scripts and the upgrade scripts live in sql/upgrades/ (test/check-versions.sh
# keeps them consistent with default_version).
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql
DATA        = $(wildcard sql/upgrades/$(EXTENSION)--*.sql)
EXTRA_CLEAN = $(EXTENSION)--$(EXTVERSION).sql $(DISTNAME).tar.gz

REGRESS      = discovery naming register fetch_related keys explain prefetch statements prefetch_statements prefetch_large assemble select_related nested_calls ddl cache spec spec_statements typed model model_django model_rails polymorphic polymorphic_joined polymorphic_reverse
REGRESS_OPTS =
# isolation specs live in test/specs, their expected output in test/expected
ISOLATION    = cache_visibility faults invalidation cache_invalidation
ISOLATION_OPTS = --inputdir=test --outputdir=output_iso

PG_CONFIG  ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src -Wall -Wextra -Wno-unused-parameter \
	-Wno-sign-compare -Wno-missing-field-initializers -Wno-cast-function-type
ifdef WERROR
PG_CPPFLAGS += -Werror
endif

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
# No server headers yet: make test installs them (as root) through prereqs.
all install installcheck:
	@echo "PGXS not found: install postgresql-server-dev-15, or run make test as root"; exit 1
endif

# PGXS tracks no header dependencies: every object depends on every header
$(OBJS): $(wildcard src/*.h)

# objects built for another server (make test PG_CONFIG=...) are rebuilt:
# the stamp names the server whose headers built them (written when parsed)
SERVER_STAMP = src/.pg_server
SERVER_ID := $(shell $(PG_CONFIG) --version 2>/dev/null) $(shell $(PG_CONFIG) --includedir-server 2>/dev/null)
$(shell echo '$(SERVER_ID)' | cmp -s - $(SERVER_STAMP) 2>/dev/null || echo '$(SERVER_ID)' > $(SERVER_STAMP))
$(OBJS): $(SERVER_STAMP)
EXTRA_CLEAN += $(SERVER_STAMP)

$(EXTENSION)--$(EXTVERSION).sql: src/$(EXTENSION).sql $(EXTENSION).control
	sed 's/@EXTVERSION@/$(EXTVERSION)/g' $< > $@

# the build fails when the control file, the scripts and META.json disagree
all: check-versions
check-versions:
	@test/check-versions.sh $(EXTENSION) $(EXTVERSION)

# make dist: HEAD (committed work only) as $(DISTNAME).tar.gz;
# make distcheck: unpack it in a temporary directory and run make test there
DISTNAME = $(EXTENSION)-$(EXTVERSION)
dist:
	@git diff --quiet HEAD -- || echo "dist: uncommitted changes are not in $(DISTNAME).tar.gz" >&2
	git archive --format=tar.gz --prefix=$(DISTNAME)/ -o $(DISTNAME).tar.gz HEAD

distcheck: dist
	@test/distcheck.sh $(DISTNAME)

.PHONY: test test-matrix test-citus test-asan test-valgrind demo bench fuzz prereqs check-versions dist distcheck

prereqs:
	@test/prereqs.sh

test: prereqs
	@test/run-tests.sh

test-matrix:
	@test/matrix.sh

test-asan: prereqs
	@test/asan/run.sh

test-citus: prereqs
	@test/citus.sh

test-valgrind: prereqs
	@test/valgrind.sh

demo: prereqs
	@test/demo.sh

bench: prereqs
	@test/bench/run.sh

fuzz: prereqs
	@test/fuzz/run.sh
