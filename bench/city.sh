# Sourced by the bench scripts: bench_city GATEWAY ADMIN_URL SCALE makes sure the bench
# databases exist (shahr_bench_urbanism, shahr_bench_citizen beside ADMIN_URL's database),
# migrated, and holding a generated city of SCALE (seed 1), and exports the gateway's
# SHAHR_URBANISM_DATABASE_URL and SHAHR_CITIZEN_DATABASE_URL for them.
bench_city() {
  local gateway="$1" admin="$2" scale="$3" base db want have
  base="${admin%/*}"
  for db in shahr_bench_urbanism shahr_bench_citizen; do
    psql "$admin" -qAtc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
      || psql "$admin" -qc "CREATE DATABASE $db"
  done
  export SHAHR_URBANISM_DATABASE_URL="$base/shahr_bench_urbanism"
  export SHAHR_CITIZEN_DATABASE_URL="$base/shahr_bench_citizen"
  "$gateway" migrate >/dev/null 2>&1
  want=$(python3 -c "print(int(20000 * $scale * 0.95))")
  have=$(psql "$SHAHR_URBANISM_DATABASE_URL" -qAtc "SELECT count(*) FROM tbl_parvandeh" 2>/dev/null || echo 0)
  if [ "$have" -lt "$want" ]; then
    "$gateway" seed --reset --scale "$scale" --seed 1 >/dev/null
  fi
}
