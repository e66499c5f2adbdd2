#!/usr/bin/env bash
# Build the bot's container image from ./Dockerfile and smoke-test it, on a machine with no Docker engine
# and no container registry (only Debian's and PyPI's package mirrors).
#
# How: podman with chroot isolation; the FROM image (python:3.11-slim-bookworm) cannot be pulled, so a
# Debian bookworm rootfs made by debootstrap (python3, pip, venv, python-is-python3) is imported under
# that name. It is a stand-in, not the real image: Debian's python lives in /usr/bin, the real image's in
# /usr/local/bin; the Dockerfile only uses `python` / `python -m pip`, which works on both.
#
# Checks (one PASS/FAIL line each, then "smoke: N passed, N failed"; exit 1 on any failure):
#   non-root   the image's default user has a non-zero uid
#   ask        `python -m bot ask --json "도커와 EC2 차이"`, on a read-only root filesystem, answers with a
#              first result whose title mentions EC2
#   index      the index was built at image build time and that ask used it without rebuilding
#   no-token   the default command without DISCORD_TOKEN exits non-zero and names DISCORD_TOKEN
#
# Needs root (apt-get, debootstrap, podman). Caches live outside the repo, in $NOTESBOT_IMAGE_CACHE
# (default /var/cache/notesbot-image): the debootstrap tarball, podman's storage (base image and build
# layers), containers.conf. On 2 cores a cold run takes ~3 minutes (apt ~10 s, debootstrap ~80-100 s,
# build ~75 s, checks ~10 s); a warm one 5-25 s (layers are cached by content, so a fresh clone is warm).
#
# Environment:
#   NOTESBOT_IMAGE_CACHE  cache folder (default /var/cache/notesbot-image)
#   NOTESBOT_IMAGE        tag for the built image (default localhost/notesbot:smoke)
#   NOTESBOT_NO_CACHE=1   build without podman's layer cache (the base rootfs is still reused)
#   DEBIAN_MIRROR         mirror for debootstrap (default: the one this machine's apt sources name)
set -euo pipefail

# Usage: scripts/image_smoke.sh [CONTEXT_DIR]   (default: the repository this script is in)
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    exit 0
fi
REPO=$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/..}" && pwd)
CACHE=${NOTESBOT_IMAGE_CACHE:-/var/cache/notesbot-image}
IMAGE=${NOTESBOT_IMAGE:-localhost/notesbot:smoke}
BASE=docker.io/library/python:3.11-slim-bookworm
# Bump when the stand-in's package list changes: the cached tarball and imported base are then rebuilt.
ROOTFS_VERSION=1
ROOTFS_PACKAGES=python3,python3-pip,python3-venv,python-is-python3,ca-certificates
ROOTFS_TAR=$CACHE/rootfs-bookworm-v$ROOTFS_VERSION.tar
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
QUESTION="도커와 EC2 차이"
START=$(date +%s)

log() { printf '[image-smoke %4ss] %s\n' "$(($(date +%s) - START))" "$*" >&2; }
die() { printf 'image-smoke: error: %s\n' "$*" >&2; exit 2; }

[[ $(id -u) -eq 0 ]] || die "run as root (needs apt-get, debootstrap and podman's rootful storage)"
[[ -f $REPO/Dockerfile ]] || die "no Dockerfile in $REPO"
for f in pyproject.toml config.toml; do
    [[ -f $REPO/$f ]] || die "$REPO/$f is missing: the Dockerfile copies it"
done
[[ -d $REPO/bot && -d $REPO/knowledge ]] || die "$REPO/bot or $REPO/knowledge is missing"

mkdir -p "$CACHE"
# One run at a time per cache (a developer's run and CI's may share the machine).
exec 9>"$CACHE/lock"
flock -w 900 9 || die "another image_smoke.sh holds $CACHE/lock for over 15 minutes"

# --- tools -----------------------------------------------------------------------------------------
need=()
for tool in debootstrap podman buildah runc; do
    command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if ((${#need[@]})); then
    log "installing ${need[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${need[@]}" >"$CACHE/apt.log" 2>&1 \
        || { tail -20 "$CACHE/apt.log" >&2; die "apt-get install ${need[*]} failed (log: $CACHE/apt.log)"; }
fi

# --- podman configuration: own storage under $CACHE, runc, ulimits chroot builds/runs accept ----------
cat >"$CACHE/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
events_logger = "file"
cgroup_manager = "cgroupfs"
EOF
export CONTAINERS_CONF=$CACHE/containers.conf
# Flags, not CONTAINERS_STORAGE_CONF (that hangs here).
PODMAN=(podman --root "$CACHE/storage" --runroot "$CACHE/runroot" --storage-driver overlay
        --cgroup-manager cgroupfs --events-backend file)
pm() { timeout "${PM_TIMEOUT:-300}" "${PODMAN[@]}" "$@"; }

# --- base image stand-in ---------------------------------------------------------------------------
debian_mirror() {
    local uri
    uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
              /etc/apt/sources.list 2>/dev/null \
          | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -1 | tr -d ' ')
    echo "${uri:-http://deb.debian.org/debian}"
}

base_ok=false
if pm image exists "$BASE" \
   && [[ $(pm image inspect --format '{{index .Labels "notesbot.rootfs"}}' "$BASE" 2>/dev/null) == "v$ROOTFS_VERSION" ]]; then
    base_ok=true
fi
if ! $base_ok; then
    if [[ ! -s $ROOTFS_TAR ]]; then
        mirror=${DEBIAN_MIRROR:-$(debian_mirror)}
        log "debootstrap bookworm minbase from $mirror (~100 s)"
        rootfs=$CACHE/rootfs.build
        rm -rf "$rootfs"
        if ! timeout 900 debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" bookworm "$rootfs" \
                "$mirror" >"$CACHE/debootstrap.log" 2>&1; then
            tail -20 "$CACHE/debootstrap.log" >&2
            die "debootstrap failed (log: $CACHE/debootstrap.log)"
        fi
        # PEP 668: the real python image has no EXTERNALLY-MANAGED marker; pip must install system-wide.
        rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        tar --numeric-owner -C "$rootfs" -cf "$ROOTFS_TAR.tmp" .
        mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
        rm -rf "$rootfs"
    fi
    log "importing $(basename "$ROOTFS_TAR") as $BASE"
    pm import -q --change 'CMD ["python3"]' --change 'ENV LANG=C.UTF-8' \
        --change "LABEL notesbot.rootfs=v$ROOTFS_VERSION" "$ROOTFS_TAR" "$BASE" >/dev/null \
        || die "podman import of $ROOTFS_TAR failed"
fi

# --- build -----------------------------------------------------------------------------------------
build_args=(build --pull=never --isolation chroot --layers -t "$IMAGE" -f "$REPO/Dockerfile")
[[ ${NOTESBOT_NO_CACHE:-0} == 1 ]] && build_args+=(--no-cache)
# RUN steps reach PyPI only with the host's CA bundle.
[[ -f $CA_BUNDLE ]] && build_args+=(-v "$CA_BUNDLE:$CA_BUNDLE:ro")
log "building $IMAGE"
if ! PM_TIMEOUT=900 pm "${build_args[@]}" "$REPO" >"$CACHE/build.log" 2>&1; then
    tail -40 "$CACHE/build.log" >&2
    die "podman build failed (full log: $CACHE/build.log; if podman's storage is damaged, rm -rf $CACHE/storage)"
fi
log "built $IMAGE ($(pm image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}'))"
pm image prune -f >/dev/null 2>&1 || true  # drop superseded builds; the layer cache stays

# --- checks ----------------------------------------------------------------------------------------
passed=0
failed=0
check() {  # check NAME OK(true/false) DETAIL
    if [[ $2 == true ]]; then
        printf 'PASS %-9s %s\n' "$1" "$3"
        passed=$((passed + 1))
    else
        printf 'FAIL %-9s %s\n' "$1" "$3"
        failed=$((failed + 1))
    fi
}
# run OUT ARGS...: podman run without network or host env (so no DISCORD_TOKEN); stdout to OUT, stderr
# to OUT.err; sets $rc.
run() {
    local out=$1
    shift
    rc=0
    PM_TIMEOUT=120 pm run --rm --network none "$@" >"$out" 2>"$out.err" || rc=$?
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# (a) non-root
run "$tmp/id" "$IMAGE" id -u
uid=$(tr -d '[:space:]' <"$tmp/id")
if [[ $rc -eq 0 && $uid =~ ^[0-9]+$ && $uid -ne 0 ]]; then
    check non-root true "id -u = $uid"
else
    check non-root false "id -u gave rc=$rc: $(cat "$tmp/id" "$tmp/id.err" | head -c 300)"
fi

# (b) a real question, on a read-only root filesystem: the answer must come from the index baked in at
#     build time (a missing or stale index would be rebuilt and fail to save, which logs a warning).
run "$tmp/ask" --read-only "$IMAGE" python -m bot ask --json "$QUESTION"
ask_rc=$rc
verdict=$(python3 - "$tmp/ask" "$rc" <<'PY'
import json, sys
path, rc = sys.argv[1], int(sys.argv[2])
out = open(path, encoding="utf-8", errors="replace").read()
err = open(path + ".err", encoding="utf-8", errors="replace").read()
if rc != 0:
    print(f"false|exit {rc}: {(err or out).strip()[-300:]}")
    sys.exit()
try:
    title = json.loads(out)["results"][0]["title"]
except (ValueError, KeyError, IndexError, TypeError) as exc:
    print(f"false|no results[0].title in the JSON ({type(exc).__name__}): {out.strip()[:300]}")
    sys.exit()
print(f"{'true' if 'EC2' in title else 'false'}|results[0].title = {title!r}")
PY
)
check ask "${verdict%%|*}" "ask \"$QUESTION\": ${verdict#*|}"

# (c) the index is in the image and that ask used it without rebuilding.
run "$tmp/index" "$IMAGE" sh -c 'find /app/.cache -type f -size +0 | head -20'
complaint=$(grep -iE 'warning|rebuil|could not save' "$tmp/ask.err" | head -1 || true)
if [[ $rc -ne 0 || ! -s $tmp/index ]]; then
    check index false "no index files under /app/.cache (rc=$rc): $(head -c 300 "$tmp/index.err")"
elif [[ $ask_rc -ne 0 ]]; then
    check index false "ask failed, so the index could not be exercised"
elif [[ -n $complaint ]]; then
    check index false "ask did not use the baked-in index: $(head -c 300 <<<"$complaint")"
else
    check index true "$(wc -l <"$tmp/index") file(s) under /app/.cache ($(head -1 "$tmp/index")), used read-only"
fi

# (d) the default command (bot run) without DISCORD_TOKEN: non-zero exit naming the variable.
run "$tmp/run" "$IMAGE"
cat "$tmp/run.err" >>"$tmp/run"
if [[ $rc -ne 0 && $rc -ne 124 ]] && grep -q DISCORD_TOKEN "$tmp/run"; then
    check no-token true "exit $rc: $(grep -m1 DISCORD_TOKEN "$tmp/run" | head -c 200)"
elif [[ $rc -eq 124 ]]; then
    check no-token false "still running after 120 s (it should stop at once without DISCORD_TOKEN)"
else
    check no-token false "exit $rc, output: $(tail -c 300 "$tmp/run")"
fi

log "done"
echo "smoke: $passed passed, $failed failed"
((failed == 0))
