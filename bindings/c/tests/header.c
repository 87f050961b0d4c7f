/* The header as C libraries' users expect it: compiles as C89, C99 and C11 (and C++) with
 * -pedantic -Wall -Wextra -Werror, has the version macros, and agrees with the library it is
 * linked with. Built and run by scripts/stages/c.sh, against the installed library through
 * pkg-config. */
#include <offerfit.h>

#include <stdio.h>
#include <string.h>

#if !defined(OFFERFIT_VERSION_MAJOR) || !defined(OFFERFIT_VERSION_MINOR) || !defined(OFFERFIT_VERSION_PATCH)
#error "offerfit.h lacks the version macros"
#endif

#if OFFERFIT_VERSION_NUMBER != OFFERFIT_VERSION_MAJOR * 10000L + OFFERFIT_VERSION_MINOR * 100L + OFFERFIT_VERSION_PATCH
#error "OFFERFIT_VERSION_NUMBER disagrees with its parts"
#endif

/* Usable in #if, as a feature check would be. */
#if OFFERFIT_VERSION_NUMBER < 100
#error "offerfit 0.1.0 or later expected"
#endif

int main(void) {
    char expected[32];
    const char *request = "{\"op\":\"version\"}";
    size_t len = 0;
    char *answer;
    int ok;

    sprintf(expected, "%d.%d.%d", OFFERFIT_VERSION_MAJOR, OFFERFIT_VERSION_MINOR, OFFERFIT_VERSION_PATCH);
    if (strcmp(expected, OFFERFIT_VERSION) != 0) {
        fprintf(stderr, "OFFERFIT_VERSION %s != %s\n", OFFERFIT_VERSION, expected);
        return 1;
    }
    if (strcmp(offerfit_version(), OFFERFIT_VERSION) != 0) {
        fprintf(stderr, "header %s, library %s\n", OFFERFIT_VERSION, offerfit_version());
        return 1;
    }
    answer = offerfit_call(request, strlen(request), &len);
    ok = answer != NULL && strncmp(answer, "{\"ok\":true", 10) == 0 && strlen(answer) == len;
    printf("offerfit %s: %s\n", offerfit_version(), ok ? "ok" : "unexpected answer");
    offerfit_string_free(answer);
    return ok ? 0 : 1;
}
