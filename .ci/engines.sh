# Sourced by .ci/run: starts the Docker engine the tests use, reachable three ways, all on this
# machine only —
#   - the local socket (unix:///var/run/docker.sock), the default engine;
#   - dockerd's own TLS listener on tcp://127.0.0.1:2376, with mutual TLS (a CA made here, a
#     server certificate for 127.0.0.1 and a client certificate), as a remote engine is reached;
#   - ssh://root@127.0.0.1:2222 through an sshd of its own (key-only, loopback only), which runs
#     `docker system dial-stdio`, as a remote engine over ssh is reached.
# The engine is also made a single-node Swarm manager on loopback, for the swarm deployment tests;
# plain containers are unaffected.
# and exports where the tests find them (MLWB_TEST_TLS_*, MLWB_TEST_SSH_*). Idempotent.
# shellcheck shell=bash

ci_state=/var/lib/mlwb-ci
tls_dir=$ci_state/tls
ssh_dir=$ci_state/ssh
mkdir -p "$tls_dir" "$ssh_dir"

make_tls() {
  # client/ca.pem is written last: present means the set is whole.
  [[ -s $tls_dir/client/ca.pem && -s $tls_dir/server-cert.pem ]] && return 0
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

tls_listening() { timeout 5 bash -c '</dev/tcp/127.0.0.1/2376' 2>/dev/null; }

start_dockerd() {
  local flags=(-H unix:///var/run/docker.sock -H tcp://127.0.0.1:2376 --tlsverify
    --tlscacert "$tls_dir/ca.pem" --tlscert "$tls_dir/server-cert.pem" --tlskey "$tls_dir/server-key.pem")
  if timeout 20 docker info >/dev/null 2>&1; then
    tls_listening && return 0
    echo "ci: restarting dockerd with a TLS listener on 127.0.0.1:2376" >&2
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker 2>/dev/null; then
      # systemd would restart its own dockerd: give that one the listener instead.
      mkdir -p /etc/systemd/system/docker.service.d
      printf '[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd %s\n' "${flags[*]}" \
        >/etc/systemd/system/docker.service.d/mlwb-ci.conf
      systemctl daemon-reload
      systemctl restart docker
    else
      pkill -x dockerd || true
      for _ in $(seq 1 30); do pgrep -x dockerd >/dev/null || break; sleep 1; done
    fi
  fi
  if ! pgrep -x dockerd >/dev/null; then
    echo "ci: starting dockerd" >&2
    nohup dockerd "${flags[@]}" >/tmp/dockerd.log 2>&1 &
  fi
  for _ in $(seq 1 60); do timeout 5 docker info >/dev/null 2>&1 && tls_listening && return 0; sleep 1; done
  echo "ci: dockerd did not come up with its socket and its TLS listener on 127.0.0.1:2376" >&2
  tail -n 30 /tmp/dockerd.log >&2 2>/dev/null || journalctl -u docker -n 30 >&2 || true
  return 1
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

start_swarm() {
  local state
  state=$(timeout 20 docker info --format '{{.Swarm.LocalNodeState}}')
  [[ $state == active ]] && return 0
  echo "ci: making the engine a single-node Swarm manager on 127.0.0.1 (was: ${state:-unknown})" >&2
  # pending, error or locked: a swarm this machine cannot rejoin; start one of its own.
  [[ $state == inactive ]] || timeout 60 docker swarm leave --force >/dev/null 2>&1 || true
  # Both addresses on loopback: the manager's port (2377) and its gossip (7946) listen nowhere else.
  timeout 60 docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >/dev/null
}

make_tls
start_dockerd
start_sshd
start_swarm
export MLWB_TEST_TLS_HOST=tcp://127.0.0.1:2376 MLWB_TEST_TLS_CERTS=$tls_dir/client
export MLWB_TEST_SSH_HOST=ssh://root@127.0.0.1:2222 MLWB_TEST_SSH_KEY=$ssh_dir/client_ed25519
export MLWB_TEST_SSH_KNOWN_HOSTS=$ssh_dir/known_hosts
