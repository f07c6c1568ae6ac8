# Sourced by .ci/run: starts the Docker engine the tests use, reachable three ways, all on this
# machine only —
#   - the local socket (unix:///var/run/docker.sock), the default engine;
#   - dockerd's own TLS listener on tcp://127.0.0.1:2376, with mutual TLS (a CA made here, a
#     server certificate for 127.0.0.1 and a client certificate), as a remote engine is reached;
#   - ssh://root@127.0.0.1:2222 through an sshd of its own (key-only, loopback only), which runs
#     `docker system dial-stdio`, as a remote engine over ssh is reached.
# and exports where the tests find them (MLWB_TEST_TLS_*, MLWB_TEST_SSH_*). Idempotent.
# shellcheck shell=bash

ci_state=/var/lib/mlwb-ci
tls_dir=$ci_state/tls
ssh_dir=$ci_state/ssh
mkdir -p "$tls_dir" "$ssh_dir"

make_tls() {
  [[ -s $tls_dir/client/key.pem ]] && return 0
  echo "ci: making TLS certificates in $tls_dir" >&2
  (
    cd "$tls_dir"
    mkdir -p client
    openssl genrsa -out ca-key.pem 2048 2>/dev/null
    openssl req -new -x509 -days 3650 -key ca-key.pem -sha256 -subj "/CN=mlwb-ci-ca" -out ca.pem
    openssl genrsa -out server-key.pem 2048 2>/dev/null
    openssl req -new -key server-key.pem -subj "/CN=127.0.0.1" -out server.csr
    printf 'subjectAltName = IP:127.0.0.1,DNS:localhost\nextendedKeyUsage = serverAuth\n' >server.ext
    openssl x509 -req -days 3650 -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
      -out server-cert.pem -extfile server.ext 2>/dev/null
    openssl genrsa -out client/key.pem 2048 2>/dev/null
    openssl req -new -key client/key.pem -subj "/CN=mlwb-ci-client" -out client.csr
    printf 'extendedKeyUsage = clientAuth\n' >client.ext
    openssl x509 -req -days 3650 -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
      -out client/cert.pem -extfile client.ext 2>/dev/null
    cp ca.pem client/ca.pem
    chmod 0400 ca-key.pem server-key.pem client/key.pem
  )
}

start_dockerd() {
  local tls_up=0
  timeout 5 bash -c '</dev/tcp/127.0.0.1/2376' 2>/dev/null && tls_up=1
  if timeout 20 docker info >/dev/null 2>&1; then
    ((tls_up)) && return 0
    # An engine runs without the TLS listener: restart it with one (this is a CI machine).
    echo "ci: restarting dockerd with a TLS listener on 127.0.0.1:2376" >&2
    pkill -x dockerd || true
    for _ in $(seq 1 30); do pgrep -x dockerd >/dev/null || break; sleep 1; done
  fi
  echo "ci: starting dockerd" >&2
  nohup dockerd -H unix:///var/run/docker.sock -H tcp://127.0.0.1:2376 \
    --tlsverify --tlscacert "$tls_dir/ca.pem" --tlscert "$tls_dir/server-cert.pem" \
    --tlskey "$tls_dir/server-key.pem" >/tmp/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do timeout 5 docker info >/dev/null 2>&1 && break; sleep 1; done
  timeout 20 docker info >/dev/null 2>&1 || {
    echo "ci: dockerd did not start" >&2
    tail -n 30 /tmp/dockerd.log >&2
    return 1
  }
}

start_sshd() {
  [[ -s $ssh_dir/host_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -f "$ssh_dir/host_ed25519"
  [[ -s $ssh_dir/client_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -f "$ssh_dir/client_ed25519"
  cp "$ssh_dir/client_ed25519.pub" "$ssh_dir/authorized_keys"
  chmod 0600 "$ssh_dir/authorized_keys"
  echo "[127.0.0.1]:2222 $(cut -d' ' -f1,2 "$ssh_dir/host_ed25519.pub")" >"$ssh_dir/known_hosts"
  cat >"$ssh_dir/sshd_config" <<CONF
Port 2222
ListenAddress 127.0.0.1
HostKey $ssh_dir/host_ed25519
PidFile $ssh_dir/sshd.pid
AuthorizedKeysFile $ssh_dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding no
X11Forwarding no
MaxStartups 100:30:200
CONF
  if timeout 5 bash -c '</dev/tcp/127.0.0.1/2222' 2>/dev/null; then return 0; fi
  echo "ci: starting sshd on 127.0.0.1:2222" >&2
  mkdir -p /run/sshd
  /usr/sbin/sshd -f "$ssh_dir/sshd_config" -E /tmp/sshd.log
  for _ in $(seq 1 20); do timeout 2 bash -c '</dev/tcp/127.0.0.1/2222' 2>/dev/null && return 0; sleep 0.5; done
  echo "ci: sshd did not start" >&2
  tail -n 20 /tmp/sshd.log >&2
  return 1
}

make_tls
start_dockerd
start_sshd
export MLWB_TEST_TLS_HOST=tcp://127.0.0.1:2376 MLWB_TEST_TLS_CERTS=$tls_dir/client
export MLWB_TEST_SSH_HOST=ssh://root@127.0.0.1:2222 MLWB_TEST_SSH_KEY=$ssh_dir/client_ed25519
export MLWB_TEST_SSH_KNOWN_HOSTS=$ssh_dir/known_hosts
