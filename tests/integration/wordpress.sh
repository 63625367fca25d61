#!/usr/bin/env bash
# A real WordPress on 127.0.0.1 for tests/integration/test_wordpress.py, from Debian's packages.
#
#   bash tests/integration/wordpress.sh start   # install if needed, start MariaDB + PHP, write the env file
#   bash tests/integration/wordpress.sh stop    # stop both and remove the temporary data
#   . /tmp/publisher-wordpress.env && .venv/bin/python -m pytest tests/integration/test_wordpress.py
#
# Runs as root, needs no systemd. MariaDB keeps its data in a temporary folder and listens on 127.0.0.1 only;
# PHP's built-in server serves /usr/share/wordpress. Debian's wp-config.php picks /etc/wordpress/config-HOST.php
# from the Host header without the port, so the site answers at http://127.0.0.1:PORT with config-127.0.0.1.php.
# WP_ENVIRONMENT_TYPE is 'local' because over plain http WordPress ignores Application Passwords otherwise.
#
# Knobs (environment): WORDPRESS_PORT (8089), WORDPRESS_DB_PORT (3307), WORDPRESS_STATE_DIR
# (/tmp/publisher-wordpress), WORDPRESS_ENV_FILE (/tmp/publisher-wordpress.env).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=${WORDPRESS_PORT:-8089}
DB_PORT=${WORDPRESS_DB_PORT:-3307}
STATE=${WORDPRESS_STATE_DIR:-/tmp/publisher-wordpress}
ENV_FILE=${WORDPRESS_ENV_FILE:-/tmp/publisher-wordpress.env}
SITE=http://127.0.0.1:$PORT
CONFIG=/etc/wordpress/config-127.0.0.1.php
WP_ROOT=/usr/share/wordpress
DB_PASSWORD=publisher-db-pass
ADMIN_PASSWORD=publisher-admin-pass
PACKAGES=(wordpress wordpress-theme-twentytwentythree mariadb-server php-cli php-mysql php-gd php-mbstring php-xml php-curl)

. "$HERE/common.sh"

install_packages() {
    # no init system in a container: keep package scripts from starting Apache or MariaDB as services
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    install_missing "${PACKAGES[@]}"
}

start_mariadb() {
    # mariadbd runs as mysql: its data, socket, pid and log live in folders that user owns
    mkdir -p "$STATE/db" "$STATE/run"
    chown mysql:mysql "$STATE/db" "$STATE/run"
    mariadb-install-db --no-defaults --user=mysql --datadir="$STATE/db" --auth-root-authentication-method=socket \
        >"$STATE/install-db.log" 2>&1
    # setsid: the server outlives this script and is stopped by `stop`
    setsid mariadbd --no-defaults --user=mysql --datadir="$STATE/db" --socket="$STATE/run/mysqld.sock" \
        --pid-file="$STATE/run/mysqld.pid" --port="$DB_PORT" --bind-address=127.0.0.1 --skip-log-bin \
        --log-error="$STATE/run/mysqld.log" </dev/null >/dev/null 2>&1 &
    local server=$!
    for _ in $(seq 100); do
        mariadb-admin --no-defaults --socket="$STATE/run/mysqld.sock" -uroot ping >/dev/null 2>&1 && break
        kill -0 "$server" 2>/dev/null || break  # it gave up (port taken, ...): no use waiting
        sleep 0.2
    done
    if [ ! -S "$STATE/run/mysqld.sock" ]; then
        log "MariaDB did not start; see $STATE/run/mysqld.log"
        exit 1
    fi
    mariadb --no-defaults --socket="$STATE/run/mysqld.sock" -uroot <<SQL
CREATE DATABASE wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'wordpress'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON wordpress.* TO 'wordpress'@'127.0.0.1';
SQL
}

write_config() {
    mkdir -p /etc/wordpress
    cat >"$CONFIG" <<PHP
<?php
// Written by publisher's tests/integration/wordpress.sh for a throwaway test site.
define('DB_NAME', 'wordpress');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', '$DB_PASSWORD');
define('DB_HOST', '127.0.0.1:$DB_PORT');
define('WP_HOME', '$SITE');
define('WP_SITEURL', '$SITE');
define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');
define('WP_ENVIRONMENT_TYPE', 'local');  // Application Passwords over plain http need 'local'
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);
PHP
}

start_php() {
    if curl -s -o /dev/null "$SITE/"; then
        log "something already answers at $SITE; stop it or choose another WORDPRESS_PORT"
        exit 1
    fi
    # the router serves /wp-content/uploads/* from $STATE/uploads and sends the rest to WordPress
    # workers: WordPress calls itself during the install (permalink test), which a single worker cannot answer
    PHP_CLI_SERVER_WORKERS=4 WORDPRESS_UPLOADS_DIR="$STATE/uploads" setsid php -S "127.0.0.1:$PORT" -t "$WP_ROOT" \
        "$HERE/wordpress-router.php" </dev/null >"$STATE/php.log" 2>&1 &
    echo $! >"$STATE/php.pid"
    for _ in $(seq 100); do
        curl -s -o /dev/null "$SITE/wp-admin/install.php" && return
        sleep 0.1
    done
    log "PHP's server did not start; see $STATE/php.log"
    exit 1
}

install_site() {
    curl -sf -o /dev/null "$SITE/wp-admin/install.php?step=2" \
        --data-urlencode "weblog_title=Publisher test site" --data-urlencode "user_name=admin" \
        --data-urlencode "admin_password=$ADMIN_PASSWORD" --data-urlencode "admin_password2=$ADMIN_PASSWORD" \
        --data-urlencode "pw_weak=1" --data-urlencode "admin_email=admin@example.org" \
        --data-urlencode "blog_public=0" --data-urlencode "language="
    # a publishing user (role editor) with an application password, pretty permalinks so that /wp-json/ routes,
    # and uploads kept in $STATE/uploads so that `stop` removes them with the database
    mkdir -p "$STATE/uploads"
    php "$HERE/wordpress-setup.php" "$WP_ROOT" publisher "$STATE/app-password" "$STATE/uploads" \
        "$SITE/wp-content/uploads"
}

start() {
    local began=$SECONDS
    [ ! -e "$STATE" ] || stop
    install_packages
    mkdir -p "$STATE"
    log "starting MariaDB on 127.0.0.1:$DB_PORT (data in $STATE/db)"
    start_mariadb
    write_config
    log "starting PHP's server on $SITE"
    start_php
    log "installing the site, a user and its application password"
    install_site
    cat >"$ENV_FILE" <<ENV
export PUBLISHER_TEST_WORDPRESS_URL=$SITE
export PUBLISHER_TEST_WORDPRESS_USER=publisher
export PUBLISHER_TEST_WORDPRESS_PASSWORD='$(cat "$STATE/app-password")'
ENV
    log "WordPress $(php -r "include '$WP_ROOT/wp-includes/version.php'; echo \$wp_version;") at $SITE" \
        "ready in $((SECONDS - began)) s; connection facts in $ENV_FILE"
}

stop() {
    if [ -s "$STATE/php.pid" ]; then
        # php -S forks workers: end the whole process group that setsid made
        kill -- "-$(cat "$STATE/php.pid")" 2>/dev/null || true
    fi
    if [ -S "$STATE/run/mysqld.sock" ]; then
        mariadb-admin --no-defaults --socket="$STATE/run/mysqld.sock" -uroot shutdown 2>/dev/null || true
        for _ in $(seq 100); do  # its files go only once it has finished writing them
            [ -e "$STATE/run/mysqld.pid" ] || break
            sleep 0.1
        done
    fi
    rm -rf "$STATE" "$ENV_FILE" "$CONFIG"
    log "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
