/*
 * canary.c: deliberate overruns the ASan run calls once before the suite
 * (test/asan/run.sh), to prove that an overrun inside a backend is reported,
 * also one inside a small palloc chunk (palloc_redzone.h), and that the run
 * notices the reports.  Built like the module, never installed.
 */
#include "postgres.h"
#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(matrx_asan_canary);

/* Writes one byte past a stack array: ASan must report stack-buffer-overflow */
Datum
matrx_asan_canary(PG_FUNCTION_ARGS)
{
	char		buf[8];
	volatile int n = PG_GETARG_INT32(0);

	memset(buf, 0, sizeof(buf));
	buf[n] = 1;
	PG_RETURN_INT32(buf[0] + buf[n]);
}

PG_FUNCTION_INFO_V1(matrx_asan_canary_palloc);

/* Writes one byte past a small palloc chunk: palloc_redzone.h must show it */
Datum
matrx_asan_canary_palloc(PG_FUNCTION_ARGS)
{
	volatile int n = PG_GETARG_INT32(0);
	volatile char *p = palloc(n);

	p[n] = 1;
	PG_RETURN_INT32(p[0]);
}
