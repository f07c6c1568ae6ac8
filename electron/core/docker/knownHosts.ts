/**
 * Host key checking for ssh engines, as OpenSSH does it: the key the host presents must be listed
 * for that host in known_hosts (plain names, `[host]:port`, hashed `|1|salt|hash` entries and
 * `*`/`?` patterns; `@revoked` keys are refused). An unknown host is refused, never trusted on
 * first use: the user accepts it once with `ssh`, where they can check its fingerprint.
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';

export interface HostVerifier {
  verify(key: Buffer): boolean;
  /** True when the last host key presented was refused. */
  rejected(): boolean;
}

export function knownHostsVerifier(file: string, hostname: string, port: number): HostVerifier {
  let refused = false;
  return {
    verify(key) {
      const ok = isKnownHostKey(readOrEmpty(file), hostname, port, key);
      refused = !ok;
      return ok;
    },
    rejected: () => refused,
  };
}

export function isKnownHostKey(knownHosts: string, hostname: string, port: number, key: Buffer): boolean {
  const name = port === 22 ? hostname : `[${hostname}]:${port}`;
  let trusted = false;
  for (const raw of knownHosts.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
    const [hosts, , keyB64] = fields;
    if (!hosts || !keyB64 || marker === '@cert-authority') continue;
    if (!hostsMatch(hosts, name)) continue;
    if (!Buffer.from(keyB64, 'base64').equals(key)) continue;
    if (marker === '@revoked') return false;
    trusted = true;
  }
  return trusted;
}

function hostsMatch(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    if (globMatch(negated ? pattern.slice(1) : pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function globMatch(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === name.toLowerCase();
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
