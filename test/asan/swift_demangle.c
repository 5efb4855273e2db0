/*
 * swift_demangle.c: preloaded after the ASan runtime into the test server so
 * the runtime can initialise inside the postmaster (see test/asan/asan.sh).
 *
 * Preloaded into an uninstrumented executable, the ASan runtime initialises
 * lazily on the first malloc().  In postgres that first malloc() comes from
 * libgpg-error's constructor (postgres -> libsystemd -> libgcrypt ->
 * libgpg-error), inside bindtextdomain() while it holds glibc's gettext lock.
 * The runtime's initialisation looks up swift_demangle with dlsym() and, when
 * the lookup fails, clears the error with dlerror(), which translates the
 * message through gettext and takes the same lock: the lock's state is
 * corrupted and the next bindtextdomain() (postgres' own, in main) waits
 * forever.  With this symbol present the lookup succeeds, dlerror() has no
 * message to translate and the lock is never re-entered.
 */
#include <stddef.h>
#include <stdint.h>

char	   *swift_demangle(const char *mangled, size_t length, char *out,
						   size_t *outlength, uint32_t flags);

/* No Swift symbols to demangle: the runtime then prints the name as it is */
char *
swift_demangle(const char *mangled, size_t length, char *out,
			   size_t *outlength, uint32_t flags)
{
	return NULL;
}
