/**
 * "No container engine" as a first-class screen with a way forward: runs need Docker, and on most
 * machines it only has to be started.
 */
import type { EngineStatus } from '../../../shared/contract.ts';
import { Icon } from '../../components/icons.tsx';
import { EmptyState } from '../../components/Notice.tsx';
import './runs.css';

export function EngineUnavailable(props: { status: EngineStatus; onRetry(): void; checking: boolean }) {
  return (
    <EmptyState
      title="No Docker engine is reachable"
      icon={<Icon name="engine" size={36} />}
      actions={
        <button type="button" className="btn btn-primary" onClick={props.onRetry} disabled={props.checking}>
          {props.checking ? 'Checking…' : 'Check again'}
        </button>
      }
    >
      <div className="engine-help" data-testid="engine-unavailable">
        <p>
          Runs train in Docker containers. The workbench looked for an engine at{' '}
          <span className="mono">{props.status.host}</span> and none answered. To start one:
        </p>
        <ul>
          <li>
            Linux with systemd: <code>sudo systemctl start docker</code>
          </li>
          <li>
            Without systemd (a container, WSL): <code>sudo dockerd &amp;</code>
          </li>
          <li>macOS or Windows: start Docker Desktop.</li>
          <li>
            Another engine: set <code>DOCKER_HOST</code> (<code>unix://</code>, <code>tcp://</code> with{' '}
            <code>DOCKER_TLS_VERIFY</code> and <code>DOCKER_CERT_PATH</code>, or <code>ssh://</code>) and
            start the workbench again.
          </li>
        </ul>
        {props.status.error && <p className="small engine-error">{props.status.error}</p>}
        <p className="muted">
          No engine installed? On Debian or Ubuntu: <code>sudo apt-get install docker.io</code>, then{' '}
          <code>npm run images:offline</code> for the example recipes' image.
        </p>
      </div>
    </EmptyState>
  );
}

/** The same facts in one line, above a list of runs that exists already. */
export function EngineWarning(props: { status: EngineStatus; starting?: boolean; name?: string }) {
  if (props.name)
    return (
      <div className="notice notice-warning" data-testid="engine-warning">
        <div className="notice-text">
          <strong>
            Engine {props.name} does not answer at {props.status.host}.
          </strong>{' '}
          Starting a run on it is refused until it does: check that Docker runs on that machine and its
          address in Settings, or pick another engine.
          {props.status.error && <div className="small engine-error">{props.status.error}</div>}
        </div>
      </div>
    );
  return (
    <div className="notice notice-warning" data-testid="engine-warning">
      <div className="notice-text">
        <strong>No Docker engine at {props.status.host}.</strong>{' '}
        {props.starting
          ? 'Starting a run is refused until an engine answers. Start one first:'
          : 'Existing runs can be browsed; new runs need an engine:'}{' '}
        <code>sudo systemctl start docker</code>, <code>sudo dockerd</code>, or set <code>DOCKER_HOST</code>.
      </div>
    </div>
  );
}
