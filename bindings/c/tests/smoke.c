/*
 * C smoke test for the offerfit C ABI, built with gcc against include/offerfit.h and
 * libofferfit_c (static or shared) by scripts/stages/c.sh, and run under valgrind there:
 *
 *   gcc -std=c11 -Wall -Wextra -Werror -pedantic -I bindings/c/include \
 *       bindings/c/tests/smoke.c $TARGET/debug/libofferfit_c.a -lpthread -ldl -lm -o smoke
 *
 * Every check prints one line; the last line is "N passed, N failed" and the exit status is
 * 0 only when nothing failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offerfit.h"

static int passed = 0;
static int failed = 0;

static void check(int ok, const char *what, const char *detail) {
    if (ok) {
        passed++;
        printf("ok   %s\n", what);
    } else {
        failed++;
        printf("FAIL %s: %s\n", what, detail ? detail : "");
    }
}

static int starts_with(const char *s, const char *prefix) {
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Calls offerfit_call on `len` bytes of `req` and checks the length contract. */
static char *call(const char *req, size_t len) {
    size_t out_len = (size_t)-1;
    char *out = offerfit_call(req, len, &out_len);
    check(out != NULL && strlen(out) == out_len, "response is NUL-terminated with *out_len bytes", out);
    return out;
}

/* Reads a whole file into a NUL-terminated buffer (free it), or NULL. */
static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) { free(buf); buf = NULL; break; }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf != NULL) buf[n] = '\0';
    return buf;
}

/*
 * Replays a golden session transcript (tests/data/session/NAME.jsonl: line 1 is
 * {"about", "rule", "config"}, the config last; the other lines are inputs) through one
 * session handle and compares every answer with NAME.out.jsonl, byte for byte.
 */
static void replay_transcript(const char *inputs_path, const char *outputs_path) {
    char *inputs = read_file(inputs_path);
    char *outputs = read_file(outputs_path);
    check(inputs != NULL && outputs != NULL, "golden session transcript is readable", inputs_path);
    if (inputs == NULL || outputs == NULL) { free(inputs); free(outputs); return; }
    char *head_end = strchr(inputs, '\n');
    const char *key = "\"config\": ";
    char *config = strstr(inputs, key);
    int ok = head_end != NULL && config != NULL && config < head_end;
    check(ok, "transcript head ends with its config", inputs_path);
    if (!ok) { free(inputs); free(outputs); return; }
    config += strlen(key);
    size_t config_len = (size_t)(head_end - config) - 1; /* without the head's closing brace */
    char *err = (char *)1;
    offerfit_session *session = offerfit_session_new(config, config_len, &err);
    check(session != NULL && err == NULL, "session_new accepts the transcript's config", err);
    if (session == NULL) { offerfit_string_free(err); free(inputs); free(outputs); return; }
    int steps = 0, same = 1;
    char *line = head_end + 1, *want = outputs;
    while (*line != '\0' && same) {
        char *line_end = strchr(line, '\n');
        size_t line_len = line_end ? (size_t)(line_end - line) : strlen(line);
        char *want_end = strchr(want, '\n');
        size_t want_len = want_end ? (size_t)(want_end - want) : strlen(want);
        size_t out_len = 0;
        char *out = offerfit_session_step(session, line, line_len, &out_len);
        same = out != NULL && out_len == want_len && memcmp(out, want, want_len) == 0;
        if (!same) printf("     step %d: got %s\n", steps, out ? out : "NULL");
        offerfit_string_free(out);
        steps++;
        if (line_end == NULL || want_end == NULL) break;
        line = line_end + 1;
        want = want_end + 1;
    }
    check(same && steps > 3, "session replays the golden transcript byte for byte", inputs_path);
    offerfit_session_free(session);
    free(inputs);
    free(outputs);
}

int main(void) {
    const char *version = offerfit_version();
    check(version != NULL && strlen(version) > 0, "offerfit_version returns a static string", version);
    printf("     version %s\n", version);

    /* The version op agrees with offerfit_version(). */
    const char *vreq = "{\"op\":\"version\"}";
    char *out = call(vreq, strlen(vreq));
    char expect[128];
    snprintf(expect, sizeof expect, "{\"ok\":true,\"version\":\"%s\"", version);
    check(starts_with(out, expect), "version op matches offerfit_version", out);
    offerfit_string_free(out);

    /* A parse, answered exactly. */
    const char *parse = "{\"op\":\"parse_value\",\"text\":\"[1-4, 5-9]\"}";
    out = call(parse, strlen(parse));
    check(out != NULL &&
              strcmp(out, "{\"ok\":true,\"value\":{\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":1,\"end\":9}]}}}") == 0,
          "parse_value coalesces touching ranges", out);
    offerfit_string_free(out);

    /* The request is (pointer, length): trailing bytes beyond len are not read. */
    const char *padded = "{\"op\":\"parse_value\",\"text\":\"5\"}TRAILING GARBAGE";
    out = call(padded, strlen(padded) - strlen("TRAILING GARBAGE"));
    check(starts_with(out, "{\"ok\":true,\"value\":{\"type\":\"SCALAR\""), "length bounds the request", out);
    offerfit_string_free(out);

    /* A malformed request gets the error object with a caret. */
    const char *bad = "{\"op\":\"parse_value\",\"text\":";
    out = call(bad, strlen(bad));
    check(starts_with(out, "{\"ok\":false,\"errors\":[{\"code\":\"request.json\"") && strstr(out, "\"rendered\":") != NULL,
          "truncated JSON is request.json with a caret", out);
    offerfit_string_free(out);

    /* An unknown op. */
    const char *unknown = "{\"op\":\"parse_valu\"}";
    out = call(unknown, strlen(unknown));
    check(starts_with(out, "{\"ok\":false,\"errors\":[{\"code\":\"request.unknown_op\"") &&
              strstr(out, "did you mean `parse_value`?") != NULL,
          "unknown op suggests the closest", out);
    offerfit_string_free(out);

    /* Invalid UTF-8 is answered with its byte offset. */
    const char utf8[] = "{\"op\":\"parse_value\",\"text\":\"\xff\"}";
    out = call(utf8, sizeof utf8 - 1);
    check(starts_with(out, "{\"ok\":false,\"errors\":[{\"code\":\"request.utf8\",\"message\":\"invalid UTF-8 at byte 28"),
          "invalid UTF-8 is request.utf8 at byte 28", out);
    offerfit_string_free(out);

    /* NULL request, NULL out_len: an error object, no crash. */
    out = offerfit_call(NULL, 5, NULL);
    check(starts_with(out, "{\"ok\":false,\"errors\":[{\"code\":\"request.null_pointer\""), "NULL request", out);
    offerfit_string_free(out);
    offerfit_string_free(NULL);

    /* The engine handle: stored options for place, pass-through for the rest. */
    const char *opts = "{\"strategy\":\"spread\"}";
    char *err = (char *)1;
    offerfit_engine *engine = offerfit_engine_new(opts, strlen(opts), &err);
    check(engine != NULL && err == NULL, "engine_new accepts an options object", err);
    out = offerfit_engine_call(engine, parse, strlen(parse), NULL);
    char *direct = call(parse, strlen(parse));
    check(out != NULL && direct != NULL && strcmp(out, direct) == 0, "engine answers other ops like offerfit_call", out);
    offerfit_string_free(out);
    offerfit_string_free(direct);
    const char *place = "{\"op\":\"place\",\"offers\":[],\"tasks\":[]}";
    const char *place_opts = "{\"op\":\"place\",\"offers\":[],\"tasks\":[],\"options\":{\"strategy\":\"spread\"}}";
    out = offerfit_engine_call(engine, place, strlen(place), NULL);
    direct = call(place_opts, strlen(place_opts));
    check(out != NULL && direct != NULL && strcmp(out, direct) == 0, "engine merges stored options into place", out);
    offerfit_string_free(out);
    offerfit_string_free(direct);
    offerfit_engine_free(engine);
    offerfit_engine_free(NULL);

    engine = offerfit_engine_new("[1,2]", 5, &err);
    check(engine == NULL && starts_with(err, "{\"ok\":false,\"errors\":[{\"code\":\"request.type\""),
          "engine_new refuses options that are not an object", err);
    offerfit_string_free(err);

    const char *bad_opts = "{\"strategy\":\"nope\"}";
    engine = offerfit_engine_new(bad_opts, strlen(bad_opts), &err);
    check(engine == NULL && starts_with(err, "{\"ok\":false,\"errors\":[{\"code\":\"request.unknown_variant\"") &&
              strstr(err, "\"path\":\"/options/strategy\"") != NULL,
          "engine_new checks option values once", err);
    offerfit_string_free(err);

    out = offerfit_engine_call(NULL, vreq, strlen(vreq), NULL);
    check(starts_with(out, "{\"ok\":false,\"errors\":[{\"code\":\"request.null_pointer\""), "NULL engine", out);
    offerfit_string_free(out);

    /* The session handle (docs/contract.md part 3 "Handles"). */
    replay_transcript("tests/data/session/kill_tasks.jsonl", "tests/data/session/kill_tasks.out.jsonl");

    const char *bad_config = "{\"framework\": {}}";
    err = NULL;
    offerfit_session *session = offerfit_session_new(bad_config, strlen(bad_config), &err);
    check(session == NULL && starts_with(err, "{\"ok\":false,\"errors\":[{\"code\":"), "session_new refuses a bad config", err);
    offerfit_string_free(err);
    check(offerfit_session_new(bad_config, strlen(bad_config), NULL) == NULL, "session_new takes a NULL error", NULL);
    check(offerfit_session_new(NULL, 3, NULL) == NULL, "session_new takes a NULL config", NULL);

    const char *tick = "{\"now\": 5, \"tick\": {}}";
    out = offerfit_session_step(NULL, tick, strlen(tick), NULL);
    check(starts_with(out, "{\"ok\":false,\"errors\":[{\"code\":\"request.null_pointer\""), "NULL session", out);
    offerfit_string_free(out);

    const char *good_config = "{\"framework\": {\"name\": \"fw\"}}";
    session = offerfit_session_new(good_config, strlen(good_config), NULL);
    out = offerfit_session_step(session, "\xff", 1, NULL);
    check(starts_with(out, "{\"ok\":false,\"errors\":[{\"code\":\"request.utf8\""), "session refuses bytes that are not UTF-8", out);
    offerfit_string_free(out);
    out = offerfit_session_step(session, tick, strlen(tick), NULL);
    check(out != NULL && strcmp(out, "{\"ok\":true,\"calls\":[],\"notices\":[],\"wake_at\":null}") == 0, "session answers a tick", out);
    offerfit_string_free(out);
    offerfit_session_free(session);
    offerfit_session_free(NULL);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
