# shellcheck shell=bash
# Stage `java`: the Java package (bindings/java, package `offerfit`), JNA over the C ABI.
#
# Sourced by scripts/test.sh (which provides `step`, `check`, `have`, `can_install`,
# `apt_install`, `ensure_rust` and $ROOT); run it alone with `./scripts/test.sh java`.
#
# Installs (idempotently, Debian only, no Maven Central): openjdk-17-jdk-headless, libjna-java,
#   libjackson2-databind-java, junit5 (its console launcher runs the tests).
# Builds: offerfit-c (debug cdylib, shared with the c stage) and the CLI; javac + jar into
#   target/java/offerfit.jar (and the tests into target/java/test).
# Checks: JUnit 5: the request corpus byte-identical to `offerfit call --lines` (callBytes and
#   call), the corpus's place requests through the typed place, the malformed suite case by
#   case, typed ops, errors, Engine, threads; Session replaying every golden transcript of
#   tests/data/session byte for byte (stepBytes) and as trees (step(JsonNode)), typed steps.

JAVA_SHARE=/usr/share/java

stage_java() {
  [ -d bindings/java ] || skip "bindings/java does not exist yet"
  ensure_rust
  JAVA_TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
  JAVA_OUT="$ROOT/target/java"
  JAVA_CP="$JAVA_SHARE/jna.jar:$JAVA_SHARE/jackson-databind.jar:$JAVA_SHARE/jackson-core.jar:$JAVA_SHARE/jackson-annotations.jar"
  step "install JDK 17, JNA, Jackson, JUnit 5 (Debian)" java_ensure
  step "build the C library and the CLI" cargo build --locked -p offerfit-c -p offerfit-cli
  step "javac + jar" java_build
  step "request corpus" python3 scripts/gen-requests.py --out "$ROOT/target/requests.jsonl"
  check "junit" timeout 900 java -Dofferfit.library="$JAVA_TARGET/debug/libofferfit_c.so" \
    -Dofferfit.cli="$JAVA_TARGET/debug/offerfit" -Dofferfit.requests="$ROOT/target/requests.jsonl" \
    -Dofferfit.root="$ROOT" -jar "$JAVA_SHARE/junit-platform-console-standalone.jar" \
    -cp "$JAVA_OUT/offerfit.jar:$JAVA_OUT/test:$JAVA_CP" --select-package offerfit \
    --details=summary --disable-banner --fail-if-no-tests
}

java_ensure() {
  local missing=()
  have javac && javac -version 2>&1 | grep -q ' 17\.' || missing+=(openjdk-17-jdk-headless)
  [ -f "$JAVA_SHARE/jna.jar" ] || missing+=(libjna-java)
  [ -f "$JAVA_SHARE/jackson-databind.jar" ] || missing+=(libjackson2-databind-java)
  [ -f "$JAVA_SHARE/junit-platform-console-standalone.jar" ] || missing+=(junit5)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}" || return 1
  javac -version
}

java_build() {
  rm -rf "$JAVA_OUT" && mkdir -p "$JAVA_OUT/classes" "$JAVA_OUT/test" || return 1
  javac -Xlint:all -Werror --release 17 -d "$JAVA_OUT/classes" -cp "$JAVA_CP" \
    bindings/java/src/main/java/offerfit/*.java || return 1
  jar --create --file "$JAVA_OUT/offerfit.jar" -C "$JAVA_OUT/classes" . || return 1
  javac --release 17 -d "$JAVA_OUT/test" \
    -cp "$JAVA_OUT/offerfit.jar:$JAVA_CP:$JAVA_SHARE/junit-jupiter-api.jar:$JAVA_SHARE/apiguardian-api.jar:$JAVA_SHARE/opentest4j.jar" \
    bindings/java/src/test/java/offerfit/*.java || return 1
  ls -l "$JAVA_OUT/offerfit.jar"
}
