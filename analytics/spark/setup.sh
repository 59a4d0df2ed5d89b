#!/usr/bin/env bash
# Installs what analytics/spark needs, idempotently:
#   analytics/spark/.venv   Python virtual environment with requirements.txt (pinned, hashed)
#   analytics/spark/.jars   the Cassandra connector and Spark's Kafka source from Maven Central
# Both are git-ignored and carry the hash of the file that produced them, so a second run
# returns at once and a changed requirements.txt or jars/pom.xml reinstalls.
#
#   analytics/spark/setup.sh          install what is missing or stale
#   analytics/spark/setup.sh --check  exit 0 when both are installed and current, 3 otherwise
#   analytics/spark/setup.sh --env    print JAVA_HOME, PYTHON and TROUPE_SPARK_JARS as KEY=VALUE
#
# Needs: Python >= 3.8 with venv (TROUPE_PYTHON overrides), JDK 17 (TROUPE_SPARK_JAVA_HOME or
# JAVA_HOME overrides; Spark 3.5 runs on 8/11/17, and this machine also carries a JDK 25),
# Maven (mvn) for the jars. Exit codes: 0 ok, 1 failed, 3 (--check) not installed, 10 a
# prerequisite is missing.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV="$HERE/.venv"
JARS="$HERE/.jars"
EXIT_NO_PREREQS=10

log() { printf 'analytics/spark: %s\n' "$*"; }
die() { printf 'analytics/spark: error: %s\n' "$*" >&2; exit 1; }

find_python() {
  local candidate
  for candidate in "${TROUPE_PYTHON:-}" python3.11 python3.12 python3.10 python3; do
    [[ -n $candidate ]] || continue
    command -v "$candidate" >/dev/null || continue
    if "$candidate" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 8) else 1)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

find_java_home() {
  local candidate
  for candidate in "${TROUPE_SPARK_JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/*-17* "${JAVA_HOME:-}"; do
    [[ -n $candidate && -x $candidate/bin/java ]] || continue
    if "$candidate/bin/java" -version 2>&1 | head -n 1 | grep -Eq 'version "(17|11|1\.8)\.'; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

venv_stamp() { cat "$HERE/requirements-build.txt" "$HERE/requirements.txt" | sha256sum | cut -d' ' -f1; }
jars_stamp() { sha256sum "$HERE/jars/pom.xml" | cut -d' ' -f1; }
venv_current() { [[ -x $VENV/bin/python && -f $VENV/.requirements.sha256 && $(cat "$VENV/.requirements.sha256") == "$(venv_stamp)" ]]; }
jars_current() { [[ -f $JARS/.pom.sha256 && $(cat "$JARS/.pom.sha256") == "$(jars_stamp)" ]]; }

install_venv() {
  venv_current && return 0
  local python
  python=$(find_python) || { printf 'analytics/spark: error: Python >= 3.8 with venv not found (set TROUPE_PYTHON)\n' >&2; exit "$EXIT_NO_PREREQS"; }
  log "creating .venv with $("$python" --version 2>&1) and installing requirements.txt (pyspark is a ~300 MB download)"
  rm -rf "$VENV"
  "$python" -m venv "$VENV"
  local pip=("$VENV/bin/python" -m pip --disable-pip-version-check --no-input -q)
  "${pip[@]}" install --require-hashes -r "$HERE/requirements-build.txt"
  "${pip[@]}" install --require-hashes --no-build-isolation -r "$HERE/requirements.txt"
  # The venv's Python imports troupe_spark from this folder (no copy to keep in sync).
  "$VENV/bin/python" -c 'import sys, sysconfig; open(sysconfig.get_paths()["purelib"] + "/troupe_spark.pth", "w").write(sys.argv[1] + "\n")' "$HERE"
  venv_stamp >"$VENV/.requirements.sha256"
  log ".venv ready"
}

install_jars() {
  jars_current && return 0
  command -v mvn >/dev/null || { printf 'analytics/spark: error: Maven (mvn) not found; it fetches the connector jars (apt-get install maven)\n' >&2; exit "$EXIT_NO_PREREQS"; }
  local spark_jars
  spark_jars=$("$VENV/bin/python" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')
  # Jars pyspark already ships (Scala, Hadoop client, slf4j, snappy, lz4, ...) stay out:
  # two versions of one library on the classpath is a runtime lottery.
  local shipped
  shipped=$(find "$spark_jars" -name '*.jar' -printf '%f\n' | sed -E 's/-[0-9][^-]*(-[^-]+)*\.jar$//' | sort -u | paste -sd, -)
  log "fetching the Cassandra connector and Kafka source jars from Maven Central (log: .jars.maven.log)"
  rm -rf "$JARS.tmp"
  if ! mvn -B -ntp -f "$HERE/jars/pom.xml" \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DincludeScope=runtime -DexcludeArtifactIds="$shipped" -DoutputDirectory="$JARS.tmp" >"$HERE/.jars.maven.log" 2>&1; then
    tail -n 40 "$HERE/.jars.maven.log" >&2
    die "Maven could not fetch the jars (full log: $HERE/.jars.maven.log)"
  fi
  jars_stamp >"$JARS.tmp/.pom.sha256"
  rm -rf "$JARS"
  mv "$JARS.tmp" "$JARS"
  log "$(find "$JARS" -name '*.jar' | wc -l) jars in .jars"
}

print_env() {
  local java_home
  java_home=$(find_java_home) || { printf 'analytics/spark: error: JDK 17 not found (set TROUPE_SPARK_JAVA_HOME)\n' >&2; exit "$EXIT_NO_PREREQS"; }
  printf 'JAVA_HOME=%s\n' "$java_home"
  printf 'PYTHON=%s\n' "$VENV/bin/python"
  printf 'TROUPE_SPARK_JARS=%s\n' "$(find "$JARS" -name '*.jar' | sort | paste -sd, -)"
}

case ${1:-} in
  --check) venv_current && jars_current && exit 0; exit 3 ;;
  --env) print_env ;;
  '')
    find_java_home >/dev/null || { printf 'analytics/spark: error: JDK 17 not found (apt-get install openjdk-17-jdk-headless, or set TROUPE_SPARK_JAVA_HOME)\n' >&2; exit "$EXIT_NO_PREREQS"; }
    install_venv
    install_jars
    ;;
  *) printf 'usage: %s [--check|--env]\n' "$0" >&2; exit 2 ;;
esac
