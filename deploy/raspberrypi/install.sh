#!/bin/bash
# Install or update the visioguichet kiosk on Raspberry Pi OS Bookworm (any architecture).
#
#   sudo ./install.sh --config kiosk.toml --token kiosk.token [options]
#
# Options:
#   --config FILE       the kiosk's settings (installed as /etc/visioguichet/kiosk.toml)
#   --token FILE        the credential from `kiosk-backend add-kiosk ID --token-file FILE`
#                       (mode 0600; installed as /etc/visioguichet/kiosk.token)
#   --source DIR        a checkout of the project (default: the one holding this script)
#   --wheel FILE        install this built wheel instead of a checkout
#   --wheelhouse DIR    install Python packages from DIR only (offline: no PyPI)
#   --printer-uri URI   create the CUPS queue named in the config (devices.printer_cups_queue)
#   --printer-model M   the queue's driver for lpadmin -m (default: everywhere)
#   --no-start          set everything up but start nothing (image building, chroot test)
#   --rollback          switch back to the previous release (see visioguichet-rollback)
#
# Safe to run again: it changes only what differs and says what it changed. Each
# version goes into its own folder under /opt/visioguichet/releases; `current`
# switches to it only once it is complete and the configuration passed its check.
set -euo pipefail
umask 022

readonly SERVICE_USER=visioguichet
readonly ETC=/etc/visioguichet
readonly DATA=/var/lib/visioguichet
readonly OPT=/opt/visioguichet
readonly KEEP_RELEASES=2 # current and previous: room for a rollback, nothing more
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
readonly FILES="$HERE/files"

# Debian packages of the appliance: the compositor, the device services, speech,
# sound, fonts, the libraries the Qt wheel (and its WebEngine, for the e-services) loads,
# and what pyscard and pycups build with when no wheelhouse brings them ready-made
# (neither has an arm64 wheel on PyPI). Sound: the Qt wheel plays through the PulseAudio
# API; PipeWire's user services start in the kiosk's own login session (PAMName=login),
# so the call's voice and read-aloud are heard without a desktop.
readonly APT_PACKAGES=(
    cage pcscd libccid polkitd cups cups-client
    speech-dispatcher speech-dispatcher-espeak-ng espeak-ng
    pipewire pipewire-pulse wireplumber
    fonts-dejavu-core alsa-utils
    libnss3 libnspr4 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1
    python3 python3-venv python3-dev gcc libpcsclite-dev libcups2-dev
    libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libpulse0 libasound2
    libwayland-client0 libwayland-cursor0 libwayland-egl1 libgbm1
    systemd udev ca-certificates
)

config="" token="" source_dir="" wheel="" wheelhouse=""
printer_uri="" printer_model="everywhere"
start=1 rollback=0
changes=0

say() { echo "visioguichet: $*"; }
die() {
    echo "visioguichet: error: $*" >&2
    exit 1
}
changed() {
    changes=$((changes + 1))
    say "changed: $*"
}

usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
}

parse_args() {
    while (($#)); do
        case "$1" in
            --config) config="${2:?--config needs a file}" && shift 2 ;;
            --token) token="${2:?--token needs a file}" && shift 2 ;;
            --source) source_dir="${2:?--source needs a folder}" && shift 2 ;;
            --wheel) wheel="${2:?--wheel needs a file}" && shift 2 ;;
            --wheelhouse) wheelhouse="${2:?--wheelhouse needs a folder}" && shift 2 ;;
            --printer-uri) printer_uri="${2:?--printer-uri needs a URI}" && shift 2 ;;
            --printer-model) printer_model="${2:?--printer-model needs a model}" && shift 2 ;;
            --no-start) start=0 && shift ;;
            --rollback) rollback=1 && shift ;;
            -h | --help) usage && exit 0 ;;
            *) usage >&2 && die "unknown option $1" ;;
        esac
    done
    [[ $(id -u) == 0 ]] || die "run me as root (sudo $0 ...)"
    ((!rollback)) || return 0
    if [[ -n "$wheel" && -n "$source_dir" ]]; then
        die "give --source or --wheel, not both"
    fi
    if [[ -z "$wheel" && -z "$source_dir" ]]; then
        source_dir="$(cd "$HERE/../.." && pwd)"
    fi
    if [[ -n "$wheel" ]]; then
        [[ -f "$wheel" ]] || die "no wheel at $wheel"
        wheel="$(realpath "$wheel")"
    else
        [[ -f "$source_dir/pyproject.toml" ]] || die "$source_dir is not a visioguichet checkout"
        source_dir="$(realpath "$source_dir")"
    fi
    if [[ -n "$wheelhouse" ]]; then
        [[ -d "$wheelhouse" ]] || die "no wheelhouse folder at $wheelhouse"
        wheelhouse="$(realpath "$wheelhouse")"
    fi
    if [[ -z "$config" && ! -f "$ETC/kiosk.toml" ]]; then
        die "first install: give the kiosk's settings with --config (see kiosk.example.toml)"
    fi
    [[ -z "$config" || -f "$config" ]] || die "no configuration file at $config"
    if [[ -n "$printer_uri" ]]; then
        [[ "$printer_uri" =~ ^[a-z][a-z0-9+.-]*:[^[:space:]]+$ ]] ||
            die "--printer-uri $printer_uri is not a device URI (e.g. usb://..., ipp://...)"
        [[ "$printer_model" =~ ^[^[:space:]]+$ ]] || die "--printer-model has spaces"
    fi
    if [[ -n "$token" ]]; then
        [[ -f "$token" ]] || die "no token file at $token"
        local mode
        mode=$(stat -c %a "$token")
        # A token others could read may already be copied: ask for a fresh one, not a chmod.
        [[ "$mode" == 600 || "$mode" == 400 ]] ||
            die "$token is mode $mode: a kiosk token must be 0600 (as kiosk-backend writes it)"
    elif [[ ! -f "$ETC/kiosk.token" ]]; then
        die "first install: give the credential with --token (kiosk-backend add-kiosk ID --token-file FILE)"
    fi
}

# PySide6's arm64 wheels on PyPI after 6.8.0.2 need glibc 2.39 (checked 2026-12: 6.9 to
# 6.11 are manylinux_2_39), so pip picks 6.8.0.2 on Bookworm (glibc 2.36). Said, not hidden.
check_qt_wheels_fit() {
    [[ -z "$wheelhouse" ]] || return 0 # the technician brought wheels that fit
    case "$(uname -m)" in aarch64 | arm64) ;; *) return 0 ;; esac
    local glibc
    glibc=$(getconf GNU_LIBC_VERSION | awk '{print $2}')
    if [[ "$(printf '%s\n' 2.39 "$glibc" | sort -V | head -1)" != 2.39 ]]; then
        say "note: glibc $glibc: PyPI's newest PySide6 for arm64 here is 6.8.0.2" \
            "(later ones need glibc 2.39); a --wheelhouse can bring another build"
    fi
}

# -- packages and user ------------------------------------------------------------

install_packages() {
    local missing=() package
    for package in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
            missing+=("$package")
    done
    ((${#missing[@]})) || return 0
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    changed "Debian packages ${missing[*]}"
}

create_user() {
    if ! getent passwd "$SERVICE_USER" >/dev/null; then
        # Home on the data folder: Qt's caches go there, and ProtectHome hides /home.
        useradd --system --user-group --home-dir "$DATA" --no-create-home \
            --shell /usr/sbin/nologin --comment "Visioguichet kiosk" "$SERVICE_USER"
        changed "service user $SERVICE_USER"
    fi
    local group
    for group in video render input audio lp; do
        getent group "$group" >/dev/null || continue
        if ! id -nG "$SERVICE_USER" | tr ' ' '\n' | grep -qx "$group"; then
            usermod -aG "$group" "$SERVICE_USER"
            changed "$SERVICE_USER joins group $group"
        fi
    done
}

# -- files, each written only when it differs ---------------------------------------

# ensure_dir PATH MODE OWNER:GROUP
ensure_dir() {
    if [[ ! -d "$1" ]]; then
        install -d -m "$2" -o "${3%:*}" -g "${3#*:}" "$1"
        changed "folder $1"
        return
    fi
    ensure_metadata "$1" "$2" "$3"
}

ensure_metadata() {
    local path="$1" mode="$2" owner="$3"
    if [[ "$(stat -c %a "$path")" != "${mode#0}" ]]; then
        chmod "$mode" "$path"
        changed "mode $mode on $path"
    fi
    if [[ "$(stat -c %U:%G "$path")" != "$owner" ]]; then
        chown "$owner" "$path"
        changed "owner $owner on $path"
    fi
}

# ensure_file SOURCE DEST MODE OWNER:GROUP
ensure_file() {
    local source="$1" dest="$2" mode="$3" owner="$4"
    if [[ -f "$dest" ]] && cmp -s "$source" "$dest"; then
        ensure_metadata "$dest" "$mode" "$owner"
        return
    fi
    # Written beside the target and renamed over it: a crash leaves the old file or the new.
    local temp
    temp=$(mktemp "$(dirname "$dest")/.$(basename "$dest").XXXXXX")
    cat "$source" >"$temp"
    chmod "$mode" "$temp"
    chown "$owner" "$temp"
    mv -f "$temp" "$dest"
    changed "file $dest"
}

# ensure_text DEST MODE OWNER:GROUP <<< TEXT
ensure_text() {
    local temp
    temp=$(mktemp)
    cat >"$temp"
    ensure_file "$temp" "$1" "$2" "$3"
    rm -f "$temp"
}

# -- the release: a virtual environment per version ----------------------------------

release_id() {
    local version digest
    if [[ -n "$wheel" ]]; then
        version=$(basename "$wheel" | cut -d- -f2)
        digest=$(sha256sum "$wheel" | cut -c1-12)
    else
        version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$source_dir/pyproject.toml" | head -1)
        # The content of the tracked tree, so a rebuilt checkout of the same commit is the
        # same release and any edit is a new one.
        digest=$(cd "$source_dir" && find pyproject.toml kiosk video peripherals offline_queue \
            backend -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 |
            LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
    fi
    [[ -n "$version" ]] || die "cannot read the version of the source"
    echo "$version-$digest"
}

build_release() {
    local dir="$OPT/releases/$1"
    if [[ -f "$dir/.complete" ]]; then
        return
    fi
    # A folder without the mark is what an interrupted run left: start it again.
    rm -rf "$dir"
    say "building release $1 in $dir"
    install -d -m 0755 "$dir"
    python3 -m venv "$dir/venv"
    local pip=("$dir/venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir)
    if [[ -n "$wheelhouse" ]]; then
        pip+=(--no-index --find-links "$wheelhouse")
    fi
    if [[ -n "$wheel" ]]; then
        "${pip[@]}" "$wheel"
    else
        # A copy, so the build's scratch files never land in the technician's checkout.
        local copy
        copy=$(mktemp -d)
        (cd "$source_dir" && tar --exclude=.git --exclude=.venv --exclude='__pycache__' \
            -cf - pyproject.toml README.md kiosk video peripherals offline_queue backend) |
            tar -xf - -C "$copy"
        "${pip[@]}" "$copy"
        rm -rf "$copy"
    fi
    "$dir/venv/bin/python" -m compileall -q "$dir/venv" >/dev/null || true
    cp "$HERE/README.md" "$dir/README-raspberrypi.md"
    echo "$1" >"$dir/.complete"
    changed "release $1"
}

# The configuration is checked by the release that will read it, before it is installed.
check_config() {
    local python="$1" file="$2"
    "$python" - "$file" <<'PY' || die "the configuration $file is not valid (see above)"
import sys
from pathlib import Path

from kiosk.config import ConfigError, load_settings

try:
    settings = load_settings(Path(sys.argv[1]))
except ConfigError as err:
    print(err, file=sys.stderr)
    raise SystemExit(1) from None
print(f"visioguichet: configuration of kiosk {settings.kiosk.id!r} is valid")
PY
}

# Prints NAME=value lines the rest of the script needs from the settings (shell-quoted:
# the script evaluates them, and a path may hold anything).
config_values() {
    "$1" - "$2" <<'PY'
import shlex
import sys
from pathlib import Path

from kiosk.config import load_settings

s = load_settings(Path(sys.argv[1]))
values = {
    "DATA_DIR": s.kiosk.data_dir,
    "TOKEN_FILE": s.backend.token_file,
    "KEY_FILE": s.outbox.key_file or s.kiosk.data_dir / "outbox.key",
    "SPOOL_DIR": s.devices.printer_spool_dir,
    "PRINTER": s.devices.printer,
    "CUPS_QUEUE": s.devices.printer_cups_queue or "",
}
for name, value in values.items():
    print(f"{name}={shlex.quote(str(value))}")
PY
}

create_outbox_key() {
    local python="$1" key_file="$2"
    [[ -f "$key_file" ]] && return
    # Made here, not at the kiosk's first start: the unit keeps /etc read-only to the kiosk.
    "$python" - "$key_file" <<'PY'
import sys
from pathlib import Path

from offline_queue.crypto import KeyRing, write_key_file

write_key_file(Path(sys.argv[1]), KeyRing.generate())
PY
    chown "$SERVICE_USER:$SERVICE_USER" "$key_file"
    chmod 0600 "$key_file"
    changed "outbox key $key_file"
}

switch_current() {
    local target="releases/$1" current
    current=$(readlink "$OPT/current" || true)
    [[ "$current" == "$target" ]] && return
    if [[ -n "$current" ]]; then
        ln -sfn "$current" "$OPT/.previous.new"
        mv -T "$OPT/.previous.new" "$OPT/previous"
    fi
    # A rename: the unit finds the old release or the new one, never a missing link.
    ln -sfn "$target" "$OPT/.current.new"
    mv -T "$OPT/.current.new" "$OPT/current"
    changed "current release $1 (previous: ${current#releases/})"
}

prune_releases() {
    local keep=() dir name
    keep+=("$(readlink "$OPT/current" || true)" "$(readlink "$OPT/previous" || true)")
    for dir in "$OPT"/releases/*/; do
        [[ -d "$dir" ]] || continue
        name="releases/$(basename "$dir")"
        if [[ "$name" != "${keep[0]}" && "$name" != "${keep[1]}" ]]; then
            rm -rf "$dir"
            changed "removed old release ${name#releases/} (keeping $KEEP_RELEASES)"
        fi
    done
}

# -- system integration ----------------------------------------------------------------

install_system_files() {
    ensure_file "$FILES/visioguichet-kiosk.service" \
        /etc/systemd/system/visioguichet-kiosk.service 0644 root:root
    ensure_file "$FILES/visioguichet-printer.service" \
        /etc/systemd/system/visioguichet-printer.service 0644 root:root
    ensure_dir /etc/systemd/logind.conf.d 0755 root:root
    ensure_file "$FILES/logind-visioguichet.conf" \
        /etc/systemd/logind.conf.d/visioguichet.conf 0644 root:root
    ensure_dir /etc/systemd/journald.conf.d 0755 root:root
    ensure_file "$FILES/journald-visioguichet.conf" \
        /etc/systemd/journald.conf.d/visioguichet.conf 0644 root:root
    ensure_file "$FILES/sysctl-visioguichet.conf" /etc/sysctl.d/90-visioguichet.conf 0644 root:root
    ensure_file "$FILES/70-visioguichet.rules" /etc/udev/rules.d/70-visioguichet.rules \
        0644 root:root
    # polkitd's package owns this folder (0700 polkitd): left as it is.
    [[ -d /etc/polkit-1/rules.d ]] || die "polkitd is not installed (/etc/polkit-1/rules.d)"
    ensure_file "$FILES/50-visioguichet-pcscd.rules" \
        /etc/polkit-1/rules.d/50-visioguichet-pcscd.rules 0644 root:root
    ensure_file "$FILES/visioguichet-rollback" /usr/local/sbin/visioguichet-rollback \
        0755 root:root
    # The journal's persistent folder (Storage=persistent also creates it, at boot).
    ensure_dir /var/log/journal 2755 root:systemd-journal
}

configure_printer() {
    local queue="$1"
    if [[ -z "$printer_uri" ]]; then
        if [[ -f "$ETC/printer.env" ]]; then
            return # set up by an earlier run: kept
        fi
        if [[ "$PRINTER" == cups ]]; then
            say "no --printer-uri: the CUPS queue '$queue' must exist already (lpadmin)"
        fi
        return
    fi
    # Set up by a boot-time unit once CUPS runs (it may not, e.g. while building an image).
    ensure_text "$ETC/printer.env" 0644 root:root <<EOF
PRINTER_QUEUE=$queue
PRINTER_URI=$printer_uri
PRINTER_MODEL=$printer_model
EOF
}

# enable_unit UNIT: the [Install] links, made without a running systemd (works in a chroot).
enable_unit() {
    if [[ "$(systemctl is-enabled "$1" 2>/dev/null || true)" != enabled ]]; then
        systemctl enable --quiet "$1"
        changed "enabled $1"
    fi
}

configure_services() {
    enable_unit visioguichet-kiosk.service
    enable_unit visioguichet-printer.service
    enable_unit pcscd.socket
    enable_unit cups.service
    # The kiosk owns tty1; the unit's Conflicts= stops a getty there, this keeps it off.
    if [[ "$(systemctl is-enabled getty@tty1.service 2>/dev/null || true)" == enabled ]]; then
        systemctl disable --quiet getty@tty1.service
        changed "disabled getty@tty1.service"
    fi
    if [[ "$(systemctl get-default)" != graphical.target ]]; then
        systemctl set-default --quiet graphical.target
        changed "default target graphical.target"
    fi
}

apply_now() {
    if ((!start)); then
        say "--no-start: nothing started; the kiosk comes up at the next boot"
        return
    fi
    systemctl daemon-reload
    udevadm control --reload && udevadm trigger
    sysctl --quiet --system
    systemctl restart systemd-journald
    [[ -f "$ETC/printer.env" ]] && systemctl restart visioguichet-printer.service
    systemctl restart visioguichet-kiosk.service
    say "the kiosk is (re)started; the logind settings apply at the next boot"
}

main() {
    parse_args "$@"
    if ((rollback)); then
        local args=()
        ((start)) || args+=(--no-start)
        exec "$FILES/visioguichet-rollback" "${args[@]}"
    fi
    check_qt_wheels_fit
    install_packages
    create_user
    ensure_dir "$ETC" 0750 "root:$SERVICE_USER"
    ensure_dir "$DATA" 0750 "$SERVICE_USER:$SERVICE_USER"
    ensure_dir "$OPT" 0755 root:root
    ensure_dir "$OPT/releases" 0755 root:root

    local release python
    release=$(release_id)
    build_release "$release"
    python="$OPT/releases/$release/venv/bin/python"
    # Every check of the settings comes before the first of them is installed. A new file is
    # checked from the folder it goes to, where its relative paths will be taken from.
    local settings="$ETC/kiosk.toml"
    if [[ -n "$config" ]]; then
        settings="$ETC/.kiosk.toml.candidate"
        trap 'rm -f "$ETC/.kiosk.toml.candidate"' EXIT
        install -m 0600 "$config" "$settings"
    fi
    check_config "$python" "$settings"
    local DATA_DIR TOKEN_FILE KEY_FILE SPOOL_DIR PRINTER CUPS_QUEUE
    eval "$(config_values "$python" "$settings")"
    case "$DATA_DIR" in
        "$DATA" | "$DATA"/*) ;;
        *) die "kiosk.data_dir must be under $DATA (the only folder the unit lets the kiosk write)" ;;
    esac
    if [[ -n "$printer_uri" && -z "$CUPS_QUEUE" ]]; then
        die "--printer-uri needs devices.printer_cups_queue (the queue's name) in the configuration"
    fi
    [[ -z "$config" ]] || ensure_file "$settings" "$ETC/kiosk.toml" 0640 "root:$SERVICE_USER"
    ensure_dir "$DATA_DIR" 0750 "$SERVICE_USER:$SERVICE_USER"
    case "$SPOOL_DIR" in
        "$DATA"/*) ensure_dir "$SPOOL_DIR" 0750 "$SERVICE_USER:$SERVICE_USER" ;;
    esac
    # Enrollment: the credential the back end issued for this kiosk id, readable by it alone.
    if [[ -n "$token" ]]; then
        ensure_dir "$(dirname "$TOKEN_FILE")" 0750 "root:$SERVICE_USER"
        ensure_file "$token" "$TOKEN_FILE" 0600 "$SERVICE_USER:$SERVICE_USER"
    fi
    [[ -f "$TOKEN_FILE" ]] || die "no credential at $TOKEN_FILE (backend.token_file): give --token"
    create_outbox_key "$python" "$KEY_FILE"

    install_system_files
    configure_printer "$CUPS_QUEUE"
    configure_services
    switch_current "$release"
    prune_releases
    apply_now
    if ((changes)); then
        say "done: $changes change(s); current release $release"
    else
        say "done: 0 changes, everything was already in place (release $release)"
    fi
}

main "$@"
