#!/usr/bin/env bash
# Installs what the bot, its demo and its tests need on a fresh Debian machine with Python 3.11+:
# system packages (espeak-ng for prompts; Redis and PostgreSQL only when they are missing), the virtualenv with the
# package and its dev tools, and starts Redis and PostgreSQL when they are not running. Safe to run again.
# Usage: scripts/setup.sh [--services|--redis]
#   --services: also make sure Redis and PostgreSQL run, and Debian's chromium is installed (the tests need them)
#   --redis:    also make sure Redis runs (the demo's queue day with callbacks needs it)
set -euo pipefail
cd "$(dirname "$0")/.."

want_redis=0
want_postgres=0
want_browser=0
case "${1:-}" in
  --services) want_redis=1; want_postgres=1; want_browser=1 ;;
  --redis) want_redis=1 ;;
esac

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v espeak-ng >/dev/null || { echo "setup: installing espeak-ng (prompt voices)"; apt_install espeak-ng; }

# The operator page's browser tests drive Debian's own headless Chromium through Playwright (never a download).
if [ "$want_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing chromium (browser tests of the operator page)"; apt_install chromium
fi

if [ "$want_redis" = 1 ]; then
  command -v redis-server >/dev/null || { echo "setup: installing redis-server"; apt_install redis-server; }
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "setup: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  fi
fi

if [ "$want_postgres" = 1 ]; then
  fresh_pg=0
  if [ ! -d /etc/postgresql ] || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "setup: installing postgresql"; apt_install postgresql; fresh_pg=1
  fi
  pg_version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ "$fresh_pg" = 1 ]; then
    # A fresh Debian cluster wants passwords on TCP; the tests expect trust on loopback, like the dev machines.
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "/etc/postgresql/$pg_version/main/pg_hba.conf"
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    echo "setup: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start || as_root pg_ctlcluster "$pg_version" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.5; done
  fi
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$python" -m venv .venv
fi
stamp=.venv/.ivr-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing the ivr package and its dev tools into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  touch "$stamp"
fi
