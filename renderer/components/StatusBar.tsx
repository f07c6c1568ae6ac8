/** The bottom bar: where the store is, whether the Docker engine answers, and the live link to core. */
import { useEffect, useState } from 'react';
import { useClient } from '../api/client.ts';
import { api } from '../api/hooks.ts';
import type { ConnectionState } from '../api/transport.ts';
import { Icon } from './icons.tsx';
import './StatusBar.css';

const ENGINE_POLL_MS = 10_000;

export function StatusBar() {
  const info = api.app.info.useQuery({}, { staleTime: Number.POSITIVE_INFINITY });
  const engine = api.engine.status.useQuery({}, { refetchInterval: ENGINE_POLL_MS });
  const connection = useConnectionState();

  const e = engine.data;
  const engineText = engine.isPending
    ? 'Docker engine: checking…'
    : engine.error
      ? `Docker engine: unknown (${engine.error.message})`
      : e?.reachable
        ? `Docker ${e.version ?? ''}${e.apiVersion ? ` (API ${e.apiVersion})` : ''} · ${e.host}`
        : `Docker engine not reachable at ${e?.host ?? 'the default socket'}`;
  const engineState = engine.isPending ? 'pending' : e?.reachable ? 'ok' : 'bad';

  return (
    <footer className="statusbar" data-testid="statusbar">
      <span className="status-item" title={info.data?.database}>
        <Icon name="store" size={14} />
        {info.data ? info.data.home : info.error ? `Store: ${info.error.message}` : 'Store: …'}
      </span>
      <span className="status-item" title={e?.error ?? undefined} data-testid="engine-status">
        <span className={`dot dot-${engineState}`} aria-hidden="true" />
        {engineText}
      </span>
      <span className="status-spacer" />
      {connection !== 'live' && (
        <span className="status-item status-warn">
          {connection === 'connecting' ? 'Connecting…' : 'Reconnecting to the workbench…'}
        </span>
      )}
      {info.data && (
        <span className="status-item status-muted">
          v{info.data.appVersion} · {info.data.mode}
        </span>
      )}
    </footer>
  );
}

function useConnectionState(): ConnectionState {
  const client = useClient();
  const [state, setState] = useState<ConnectionState>('connecting');
  useEffect(() => client.transport.onConnection(setState), [client]);
  return state;
}
