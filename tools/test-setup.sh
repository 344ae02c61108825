#!/bin/bash
# Private PostgreSQL, MariaDB, Keystone and RabbitMQ for the test suites.
#
#   tools/test-setup.sh start [pg [pgreplica]] [mysql] [keystone] [galera]
#                             [haproxy] [rabbitmq]
#                                     (default: pg mysql keystone)
#   tools/test-setup.sh stop
#   tools/test-setup.sh galera-node stop|start N   (the fault tests)
#
# start installs the missing Debian packages of bindep.txt (needs root and
# the bindep command, which tox -e all provides), starts each server on a
# free port of 127.0.0.1 with fresh data, and writes DIR/env.sh and
# DIR/env.json: DEPLOYSVC_TEST_{PG,MYSQL}_URL (a user that may create
# databases) and DEPLOYSVC_TEST_KEYSTONE_* (tools/keystone_seed.py).
# DIR is $DEPLOYSVC_SERVICES_DIR, else .services of the repository.
#
# stop signals only the processes this script started: the PIDs it wrote
# to DIR/run/*.pid, never a process found by name or port (other database
# servers on the machine, someone else's test run, are none of ours).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mkdir -p "${DEPLOYSVC_SERVICES_DIR:-$ROOT/.services}" && cd "${DEPLOYSVC_SERVICES_DIR:-$ROOT/.services}" && pwd)
RUN=$DIR/run
LOGS=$DIR/logs
KEYSTONE_VENV=${DEPLOYSVC_KEYSTONE_VENV:-$DIR/keystone-venv}
# gunicorn 23.0.0: the version Keystone's timings here were measured with.
KEYSTONE_PIP_SPEC=${DEPLOYSVC_KEYSTONE_PIP_SPEC:-keystone>=30,<31 gunicorn==23.0.0}

die() { echo "test-setup: $*" >&2; exit 1; }
say() { echo "test-setup: $*" >&2; }
secret() { od -An -tx1 -N12 /dev/urandom | tr -d ' \n'; }
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# spawn NAME CMD...: CMD in the background (exec'd, so $! is its PID).
spawn() {
    local name=$1; shift
    "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
}

# wait_for NAME SECONDS CMD...: until CMD succeeds, while NAME runs.
wait_for() {
    local name=$1 tenths=$(($2 * 10)) pid; shift 2
    pid=$(cat "$RUN/$name.pid")
    while ! "$@" >/dev/null 2>&1; do
        tenths=$((tenths - 1))
        if [ "$tenths" -le 0 ] || ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$LOGS/$name.log" >&2
            die "$name did not start (log: $LOGS/$name.log)"
        fi
        sleep 0.1
    done
}

install_packages() {
    local missing policy=/usr/sbin/policy-rc.d
    command -v bindep >/dev/null || die "bindep is missing (pip install bindep)"
    missing=$(bindep -b test || true)
    [ -n "$missing" ] || return 0
    [ "$(id -u)" = 0 ] || die "missing packages, run as root: $missing"
    # The packages' scripts would start the system's own servers; this
    # script starts its own, so forbid service starts for the install.
    if [ ! -e $policy ]; then
        printf '#!/bin/sh\nexit 101\n' >$policy
        chmod 755 $policy
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    say "apt-get install $missing"
    apt-get update -q >>"$LOGS/apt.log"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends -o DPkg::Lock::Timeout=600 $missing \
        >>"$LOGS/apt.log"
}

start_pg() {
    local bin port pw pgdir
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    # Outside DIR: the postgres user may not be able to enter the checkout.
    pgdir=$(mktemp -d /tmp/deploysvc-pg.XXXXXX)
    echo "$pgdir" >"$RUN/pg.dir"
    chown postgres: "$pgdir"
    # PostgreSQL refuses to run as root.
    local as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups)
    "${as_pg[@]}" "$bin/initdb" -D "$pgdir/data" -U postgres -E UTF8 \
        --no-locale --auth-local=trust --auth-host=scram-sha-256 --no-sync \
        >>"$LOGS/pg.log"
    port=$(free_port)
    echo "$port" >"$RUN/pg.port"
    # No durability: the data lives as long as the test run.
    spawn pg "${as_pg[@]}" "$bin/postgres" -D "$pgdir/data" -p "$port" \
        -k "$pgdir" -c listen_addresses=127.0.0.1 -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off \
        -c max_connections=200
    local psql=("$bin/psql" -X -q -h "$pgdir" -p "$port" -U postgres
                -v ON_ERROR_STOP=1)
    wait_for pg 60 "${psql[@]}" -c 'SELECT 1'
    pw=$(secret)
    "${psql[@]}" -c "CREATE ROLE deploysvc LOGIN CREATEDB PASSWORD '$pw'" \
        -c "CREATE DATABASE deploysvc OWNER deploysvc"
    echo "DEPLOYSVC_TEST_PG_URL=postgresql+psycopg2://deploysvc:$pw@127.0.0.1:$port/deploysvc" >>"$RUN/env"
    echo "$pw" >"$RUN/pg.pw"
    say "PostgreSQL on 127.0.0.1:$port"
}

# A hot standby of the PostgreSQL above, streaming from it: the read
# replica of [database] slave_connection.  Databases made on the primary
# (one per test) appear on it.  The deploysvc user may pause and resume
# its replay (granted in template1, so every new database has the grant):
# the replica tests make a lag that way, as long as they need it.
start_pgreplica() {
    local bin pgdir primary port pw fn
    [ -e "$RUN/pg.port" ] || die "pgreplica is a standby of pg: start pg first"
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    pgdir=$(cat "$RUN/pg.dir")
    primary=$(cat "$RUN/pg.port")
    pw=$(cat "$RUN/pg.pw")
    local as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups)
    local psql=("$bin/psql" -X -q -h "$pgdir" -p "$primary" -U postgres
                -v ON_ERROR_STOP=1)
    for fn in pg_wal_replay_pause pg_wal_replay_resume; do
        "${psql[@]}" -d template1 -c "GRANT EXECUTE ON FUNCTION $fn() TO deploysvc"
        "${psql[@]}" -d deploysvc -c "GRANT EXECUTE ON FUNCTION $fn() TO deploysvc"
    done
    # -R: a standby (standby.signal, primary_conninfo over the socket).
    "${as_pg[@]}" "$bin/pg_basebackup" -h "$pgdir" -p "$primary" \
        -U postgres -D "$pgdir/replica" -R -X stream --no-sync \
        >>"$LOGS/pgreplica.log" 2>&1
    port=$(free_port)
    spawn pgreplica "${as_pg[@]}" "$bin/postgres" -D "$pgdir/replica" \
        -p "$port" -k "$pgdir" -c listen_addresses=127.0.0.1 -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off \
        -c max_connections=200 -c hot_standby=on
    wait_for pgreplica 60 "$bin/psql" -X -q -h "$pgdir" -p "$port" \
        -U postgres -c 'SELECT 1'
    echo "DEPLOYSVC_TEST_PG_REPLICA_URL=postgresql+psycopg2://deploysvc:$pw@127.0.0.1:$port/deploysvc" >>"$RUN/env"
    say "PostgreSQL hot standby on 127.0.0.1:$port"
}

start_mysql() {
    local data=$DIR/mysql port pw sock
    sock=$RUN/mysql.sock
    rm -rf "$data" && mkdir -p "$data/tmp"
    mariadb-install-db --no-defaults --datadir="$data/data" --user=root \
        --auth-root-authentication-method=normal --skip-test-db \
        >>"$LOGS/mysql.log"
    port=$(free_port)
    spawn mysql mariadbd --no-defaults --user=root --datadir="$data/data" \
        --tmpdir="$data/tmp" --port="$port" --bind-address=127.0.0.1 \
        --socket="$sock" --pid-file="$data/mariadbd.pid" \
        --skip-name-resolve --skip-log-bin --max-connections=200 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
        --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
        --innodb-buffer-pool-size=128M --innodb-use-native-aio=0
    local sql=(mariadb --no-defaults -S "$sock" -u root)
    wait_for mysql 90 "${sql[@]}" -e 'SELECT 1'
    pw=$(secret)
    "${sql[@]}" -e "CREATE DATABASE deploysvc CHARACTER SET utf8mb4;
        CREATE USER 'deploysvc'@'%' IDENTIFIED BY '$pw';
        GRANT ALL PRIVILEGES ON *.* TO 'deploysvc'@'%' WITH GRANT OPTION;"
    echo "DEPLOYSVC_TEST_MYSQL_URL=mysql+pymysql://deploysvc:$pw@127.0.0.1:$port/deploysvc?charset=utf8mb4" >>"$RUN/env"
    say "MariaDB on 127.0.0.1:$port"
}

start_keystone() {
    local ks=$DIR/keystone port url admin_pw key
    if [ "$(cat "$KEYSTONE_VENV/.pip-spec" 2>/dev/null)" != "$KEYSTONE_PIP_SPEC" ]; then
        say "pip install $KEYSTONE_PIP_SPEC into $KEYSTONE_VENV"
        rm -rf "$KEYSTONE_VENV"
        python3 -m venv "$KEYSTONE_VENV"
        # shellcheck disable=SC2086  # the spec is a list of requirements
        "$KEYSTONE_VENV/bin/pip" install -q --disable-pip-version-check \
            $KEYSTONE_PIP_SPEC >>"$LOGS/keystone-pip.log"
        echo "$KEYSTONE_PIP_SPEC" >"$KEYSTONE_VENV/.pip-spec"
    fi
    rm -rf "$ks" && mkdir -p "$ks/fernet-keys" "$ks/credential-keys"
    for key in fernet-keys/0 fernet-keys/1 credential-keys/0 credential-keys/1; do
        python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())' >"$ks/$key"
    done
    chmod -R go-rwx "$ks"
    port=$(free_port)
    url=http://127.0.0.1:$port/v3
    cat >"$ks/keystone.conf" <<EOF
[DEFAULT]
public_endpoint = http://127.0.0.1:$port
use_stderr = true
[database]
connection = sqlite:///$ks/keystone.db
[token]
provider = fernet
# Longer than a whole test run: tokens are taken once per test class.
expiration = 14400
[fernet_tokens]
key_repository = $ks/fernet-keys
[fernet_receipts]
key_repository = $ks/fernet-keys
[credential]
key_repository = $ks/credential-keys
[cache]
enabled = true
backend = oslo_cache.dict
[identity]
# bcrypt's minimum cost: password authentication stays fast in the tests.
password_hash_rounds = 4
max_password_length = 72
[resource]
admin_project_name = admin
admin_project_domain_name = Default
[oslo_messaging_notifications]
driver = noop
EOF
    # keystone reads sys.argv as its own command line: hide gunicorn's.
    printf 'import sys\nsys.argv = sys.argv[:1]\nfrom keystone.wsgi.api import application  # noqa\n' \
        >"$ks/keystone_wsgi.py"
    export OS_KEYSTONE_CONFIG_FILES=$ks/keystone.conf
    local manage=("$KEYSTONE_VENV/bin/keystone-manage" --config-file "$ks/keystone.conf")
    admin_pw=$(secret)
    "${manage[@]}" db_sync >>"$LOGS/keystone.log" 2>&1
    "${manage[@]}" bootstrap --bootstrap-password "$admin_pw" \
        --bootstrap-region-id RegionOne --bootstrap-public-url "$url" \
        --bootstrap-internal-url "$url" --bootstrap-admin-url "$url" \
        >>"$LOGS/keystone.log" 2>&1
    # One sync worker, one request at a time: keystone writes last_active_at
    # on every password authentication, and concurrent writers on its
    # SQLite fail with "database is locked" (a 500).
    spawn keystone "$KEYSTONE_VENV/bin/gunicorn" --bind "127.0.0.1:$port" \
        --workers 1 --chdir "$ks" keystone_wsgi:application
    wait_for keystone 120 python3 -c "import urllib.request; urllib.request.urlopen('$url')"
    "$KEYSTONE_VENV/bin/python" "$ROOT/tools/keystone_seed.py" "$url" \
        "$admin_pw" >>"$RUN/env"
    say "Keystone on $url"
}

# A three-node MariaDB Galera cluster (the scale-out suite).  Each node has
# its client port, its group communication port, and the IST and SST ports
# a rejoining node is sent the writes it missed on, all free ports of
# 127.0.0.1; its options are in nodeN.cnf of its directory, so that
# "galera-node stop|start N" can take one node out and bring it back.
GALERA_NODES="1 2 3"

galera_sql() {
    mariadb --no-defaults -S "$(cat "$RUN/galera.dir")/node$1/mariadbd.sock" \
        -u root -N -B -e "$2"
}

# galera_synced N: the node is a Synced member of the primary component.
galera_synced() {
    [ "$(galera_sql "$1" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT'")" = Synced ]
}

galera_node_start() {
    local n=$1
    spawn "galera-$n" mariadbd \
        --defaults-file="$(cat "$RUN/galera.dir")/node$n.cnf" "${@:2}"
    wait_for "galera-$n" 180 galera_synced "$n"
}

galera_node_stop() {
    local n=$1 pid tenths=600
    pid=$(cat "$RUN/galera-$n.pid")
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null \
            | grep -qF "$(cat "$RUN/galera.dir")"; then
        kill -TERM "$pid"
        while kill -0 "$pid" 2>/dev/null && [ $((tenths -= 1)) -gt 0 ]; do
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    fi
    rm -f "$RUN/galera-$n.pid"
}

start_galera() {
    local data n gcomm="" pw urls=""
    local -A client group
    # mariadbd runs as mysql (the user of Debian's packages): as root, the
    # rsync daemon of an SST switches to "nobody", who may not write the
    # joiner's data.  Outside DIR, as for PostgreSQL: mysql may not be
    # able to enter the checkout.
    data=$(mktemp -d /tmp/deploysvc-galera.XXXXXX)
    echo "$data" >"$RUN/galera.dir"
    chown mysql: "$data"
    for n in $GALERA_NODES; do
        client[$n]=$(free_port)
        group[$n]=$(free_port)
        gcomm="$gcomm${gcomm:+,}127.0.0.1:${group[$n]}"
    done
    for n in $GALERA_NODES; do
        mkdir -p "$data/node$n/tmp" && chown -R mysql: "$data/node$n"
        mariadb-install-db --no-defaults --datadir="$data/node$n/data" \
            --user=mysql --auth-root-authentication-method=normal \
            --skip-test-db >>"$LOGS/galera-$n.log"
        # Small on purpose: a tiny buffer pool and gcache, no durability
        # (the data lives as long as the test run); rsync SST, which needs
        # only Debian's rsync.  gcache (32 MB) holds far more than the
        # writes a node misses while the fault test has it stopped, so it
        # rejoins by IST.
        cat >"$data/node$n.cnf" <<EOF
[mariadbd]
user = mysql
datadir = $data/node$n/data
tmpdir = $data/node$n/tmp
port = ${client[$n]}
bind-address = 127.0.0.1
socket = $data/node$n/mariadbd.sock
pid-file = $data/node$n/mariadbd.pid
skip-name-resolve
max-connections = 200
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
innodb-flush-log-at-trx-commit = 0
innodb-doublewrite = 0
innodb-buffer-pool-size = 32M
innodb-log-file-size = 16M
innodb-use-native-aio = 0
innodb-autoinc-lock-mode = 2
binlog-format = ROW
default-storage-engine = InnoDB
wsrep-on = ON
wsrep-provider = /usr/lib/galera/libgalera_smm.so
wsrep-cluster-name = deploysvc-test-$$
wsrep-cluster-address = gcomm://$gcomm
wsrep-node-name = node$n
wsrep-node-address = 127.0.0.1:${group[$n]}
wsrep-node-incoming-address = 127.0.0.1:${client[$n]}
wsrep-sst-method = rsync
wsrep-sst-receive-address = 127.0.0.1:$(free_port)
wsrep-provider-options = "gmcast.listen_addr=tcp://127.0.0.1:${group[$n]};ist.recv_addr=127.0.0.1:$(free_port);gcache.size=32M"
EOF
    done
    chown -R mysql: "$data"
    galera_node_start 1 --wsrep-new-cluster
    for n in $GALERA_NODES; do
        [ "$n" = 1 ] || galera_node_start "$n"
    done
    pw=$(secret)
    galera_sql 1 "CREATE DATABASE deploysvc CHARACTER SET utf8mb4;
        CREATE USER 'deploysvc'@'%' IDENTIFIED BY '$pw';
        GRANT ALL PRIVILEGES ON *.* TO 'deploysvc'@'%' WITH GRANT OPTION;"
    for n in $GALERA_NODES; do
        urls="$urls${urls:+ }mysql+pymysql://deploysvc:$pw@127.0.0.1:${client[$n]}/deploysvc?charset=utf8mb4"
    done
    echo "DEPLOYSVC_TEST_GALERA_URLS=$urls" >>"$RUN/env"
    say "MariaDB Galera cluster on 127.0.0.1:${client[1]} ${client[2]} ${client[3]}"
}

# The scale-out suite's HAProxy comes from Debian; the suite writes its
# configuration (the API nodes' ports are its own) and starts it itself.
start_haproxy() {
    command -v haproxy >/dev/null || die "haproxy is missing (bindep.txt)"
    echo "DEPLOYSVC_TEST_HAPROXY=$(command -v haproxy)" >>"$RUN/env"
}

# RabbitMQ for the notification tests: its own node name, cookie, data
# and log directories, and its own Erlang port mapper (epmd), all on free
# ports of 127.0.0.1, so that a broker of the machine is never disturbed.
# The guest user may connect from 127.0.0.1 only, which is where the tests
# are.
start_rabbitmq() {
    local rmq=$DIR/rabbitmq port dist epmd_port
    rm -rf "$rmq" && mkdir -p "$rmq/home" "$rmq/mnesia" "$rmq/log"
    secret >"$rmq/home/.erlang.cookie"
    chmod 400 "$rmq/home/.erlang.cookie"
    echo '[].' >"$rmq/enabled_plugins"
    port=$(free_port)
    dist=$(free_port)
    epmd_port=$(free_port)
    echo "$epmd_port" >"$RUN/epmd.port"
    # Started here, in the foreground, so that its PID is ours to stop (the
    # one erl would start is a daemon of its own).
    spawn epmd epmd -port "$epmd_port" -address 127.0.0.1
    spawn rabbitmq env HOME="$rmq/home" ERL_EPMD_PORT="$epmd_port" \
        ERL_EPMD_ADDRESS=127.0.0.1 \
        RABBITMQ_NODENAME="deploysvc-test-$$@localhost" \
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$port" \
        RABBITMQ_DIST_PORT="$dist" RABBITMQ_MNESIA_BASE="$rmq/mnesia" \
        RABBITMQ_LOG_BASE="$rmq/log" RABBITMQ_CONFIG_FILE="$rmq/rabbitmq" \
        RABBITMQ_ENABLED_PLUGINS_FILE="$rmq/enabled_plugins" \
        RABBITMQ_PID_FILE="$rmq/rabbitmq.pid" \
        /usr/lib/rabbitmq/bin/rabbitmq-server
    wait_for rabbitmq 120 python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)"
    echo "DEPLOYSVC_TEST_RABBIT_URL=rabbit://guest:guest@127.0.0.1:$port/" >>"$RUN/env"
    say "RabbitMQ on 127.0.0.1:$port"
}

start() {
    mkdir -p "$RUN" "$LOGS"
    [ -z "$(ls "$RUN"/*.pid 2>/dev/null)" ] || stop
    : >"$RUN/env"
    install_packages
    for service in "${@:-pg mysql keystone}"; do
        for s in $service; do "start_$s"; done
    done
    echo "DEPLOYSVC_TEST_SERVICES_DIR=$DIR" >>"$RUN/env"
    sed "s/^\([^=]*\)=\(.*\)$/export \1='\2'/" "$RUN/env" >"$DIR/env.sh"
    python3 -c 'import json, sys; print(json.dumps(dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[1])), indent=1, sort_keys=True))' \
        "$RUN/env" >"$DIR/env.json"
    chmod 600 "$DIR/env.sh" "$DIR/env.json" "$RUN/env"
}

stop() {
    local pidfile pid name mine tenths
    # epmd last: RabbitMQ's shutdown still asks it.
    for pidfile in $(ls "$RUN"/*.pid 2>/dev/null | grep -v '/epmd\.pid$') \
            $(ls "$RUN"/epmd.pid 2>/dev/null); do
        [ -e "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        name=$(basename "$pidfile" .pid)
        mine=$DIR
        case $name in pg|pgreplica) mine=$(cat "$RUN/pg.dir") ;; esac
        [ "${name#galera-}" = "$name" ] || mine=$(cat "$RUN/galera.dir")
        [ "$name" != epmd ] || mine="-port $(cat "$RUN/epmd.port") "
        # The PID is ours while its command line names our data directory
        # (RabbitMQ's script: its environment); a process that merely
        # reuses the number is left alone.
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$mine" \
                || { [ "$name" = rabbitmq ] && tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null \
                     | grep -qxF "RABBITMQ_MNESIA_BASE=$DIR/rabbitmq/mnesia"; }; then
            # SIGTERM: a fast, clean shutdown for all three servers.
            kill -TERM "$pid" 2>/dev/null || true
            tenths=300
            while kill -0 "$pid" 2>/dev/null && [ $((tenths -= 1)) -gt 0 ]; do
                sleep 0.1
            done
            if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
            say "stopped $name (pid $pid)"
        fi
        rm -f "$pidfile"
    done
    if [ -e "$RUN/pg.dir" ]; then
        rm -rf "$(cat "$RUN/pg.dir")" "$RUN/pg.dir" "$RUN/pg.port" \
            "$RUN/pg.pw"
    fi
    if [ -e "$RUN/galera.dir" ]; then
        rm -rf "$(cat "$RUN/galera.dir")" "$RUN/galera.dir"
    fi
    rm -f "$DIR/env.sh" "$DIR/env.json" "$RUN/env" "$RUN/epmd.port"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) stop ;;
    # galera-node stop|start N: one node of the Galera cluster out and back
    # in (it rejoins and is Synced when start returns).
    galera-node)
        case "${2:-}" in
            stop) galera_node_stop "${3:?node}" ;;
            start) galera_node_start "${3:?node}" ;;
            *) die "usage: $0 galera-node stop|start N" ;;
        esac ;;
    *) die "usage: $0 start [pg] [pgreplica] [mysql] [keystone] [galera] [haproxy] [rabbitmq] | stop | galera-node stop|start N" ;;
esac
