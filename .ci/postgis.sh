# PostgreSQL with PostGIS from Debian's packages, on a Unix socket only (no TCP), for the tests of
# the PostGIS store (tests/test_store_pg.py).  Source this file, then:
#   postgis_start   # installs the packages if needed, starts a server, exports PLANNER_TEST_PG
#   postgis_stop    # stops the server and removes its files
# The server is a throwaway: its data, socket and log live in one temporary folder; fsync is off.
# Run as root (CI), it runs as the unprivileged `postgres` user, since initdb refuses root.

postgis_start() {
  local initdb
  if ! compgen -G "/usr/share/postgresql/*/extension/postgis.control" >/dev/null \
    && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq postgresql postgis >/dev/null) \
      || echo "warning: could not install postgresql/postgis"
  fi
  initdb=$(compgen -G "/usr/lib/postgresql/*/bin/initdb" | sort -V | tail -n 1 || true)
  if [ -z "$initdb" ] || ! compgen -G "/usr/share/postgresql/*/extension/postgis.control" >/dev/null; then
    echo "warning: no PostgreSQL with PostGIS; the PostGIS store tests will skip"
    return 0
  fi
  PLANNER_PG_BIN=$(dirname "$initdb")
  PLANNER_PG_DIR=$(mktemp -d /tmp/planner-pg.XXXXXX)  # 0700: only its owner (and root) gets in
  local as=() user
  user=$(id -un)
  if [ "$(id -u)" = 0 ]; then
    user=postgres
    chown postgres: "$PLANNER_PG_DIR"
    as=(runuser -u postgres --)
  fi
  if ! "${as[@]}" "$PLANNER_PG_BIN/initdb" -D "$PLANNER_PG_DIR/data" -U "$user" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$PLANNER_PG_DIR/initdb.log" 2>&1 \
    || ! "${as[@]}" "$PLANNER_PG_BIN/pg_ctl" -D "$PLANNER_PG_DIR/data" -l "$PLANNER_PG_DIR/server.log" \
        -w -t 60 -o "-k $PLANNER_PG_DIR -c listen_addresses='' -c fsync=off" start >/dev/null \
    || ! "${as[@]}" "$PLANNER_PG_BIN/createdb" -h "$PLANNER_PG_DIR" -U "$user" planner_test \
    || ! "${as[@]}" "$PLANNER_PG_BIN/psql" -qX -h "$PLANNER_PG_DIR" -U "$user" -d planner_test \
        -c "CREATE EXTENSION postgis" >/dev/null; then
    echo "warning: could not start PostgreSQL with PostGIS; the PostGIS store tests will skip"
    tail -n 20 "$PLANNER_PG_DIR"/*.log 2>/dev/null || true
    postgis_stop
    return 0
  fi
  export PLANNER_TEST_PG="postgresql://$user@/planner_test?host=$PLANNER_PG_DIR"
  echo "PostgreSQL with PostGIS on $PLANNER_PG_DIR (PLANNER_TEST_PG=$PLANNER_TEST_PG)"
}

postgis_stop() {
  [ -n "${PLANNER_PG_DIR:-}" ] || return 0
  if [ -f "$PLANNER_PG_DIR/data/postmaster.pid" ]; then
    local as=()
    [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$PLANNER_PG_BIN/pg_ctl" -D "$PLANNER_PG_DIR/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$PLANNER_PG_DIR"
  unset PLANNER_PG_DIR PLANNER_TEST_PG
}
