#!/usr/bin/env bash
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d):
# one role and one database per service, each owned by its role, so no service can read
# another's tables. Names and passwords come from the services' own <SVC>_DATABASE_URL values
# (postgresql+psycopg2://USER:PASSWORD@postgres:5432/DATABASE), so they are written once.
# Passwords must be URL-safe (e.g. `openssl rand -hex 24`).
set -euo pipefail

create() {
  local var=$1 url rest creds user password db
  url=${!var:?$var is not set}
  rest=${url#*://}
  creds=${rest%%@*}
  user=${creds%%:*}
  password=${creds#*:}
  db=${rest##*/}
  db=${db%%\?*}
  echo "opticall: creating role ${user} and database ${db} (from ${var})"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="$user" -v password="$password" -v db="$db" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
}

for var in AUTH_DATABASE_URL SCHEDULING_DATABASE_URL FORECASTING_DATABASE_URL REALTIME_DATABASE_URL; do
  create "$var"
done
