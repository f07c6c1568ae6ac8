/**
 * The Deploy dialog's fields and the `deployments.create` params they make: the model served by
 * version or by alias (following it or not), a name, an optional port, the engine, the mode and,
 * for Swarm, the replicas. Field problems are said per field before anything is sent.
 */
import { DeploymentName, type DeployParams } from '../../../shared/deployments.ts';

export type ModeChoice = 'auto' | 'container' | 'swarm';

export interface DeployForm {
  target: { kind: 'version'; version: number } | { kind: 'alias'; alias: string };
  followAlias: boolean;
  name: string;
  /** Blank: the engine picks a free port. */
  port: string;
  /** Blank: the default engine. */
  engine: string;
  mode: ModeChoice;
  replicas: string;
}

export type DeployFormErrors = Partial<Record<'name' | 'port' | 'replicas', string>>;

function wholeNumber(text: string, min: number, max: number, what: string): number | string {
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < min || n > max) return `${what} is a whole number from ${min} to ${max}.`;
  return n;
}

export function deployParams(
  model: string,
  form: DeployForm,
): { params: DeployParams } | { errors: DeployFormErrors } {
  const errors: DeployFormErrors = {};
  const name = DeploymentName.safeParse(form.name.trim());
  if (!name.success) errors.name = name.error.issues[0]?.message ?? 'This name cannot be used.';
  let port: number | undefined;
  if (form.port.trim()) {
    const p = wholeNumber(form.port, 1, 65535, 'The port');
    if (typeof p === 'string') errors.port = p;
    else port = p;
  }
  let replicas: number | undefined;
  if (form.mode === 'swarm') {
    const r = wholeNumber(form.replicas || '1', 1, 32, 'Replicas');
    if (typeof r === 'string') errors.replicas = r;
    else replicas = r;
  }
  if (Object.keys(errors).length > 0) return { errors };
  const byAlias = form.target.kind === 'alias';
  return {
    params: {
      model,
      ...(form.target.kind === 'version' ? { version: form.target.version } : { alias: form.target.alias }),
      ...(byAlias ? { followAlias: form.followAlias } : {}),
      name: form.name.trim(),
      ...(port !== undefined ? { port } : {}),
      ...(form.engine ? { engine: form.engine } : {}),
      ...(form.mode !== 'auto' ? { mode: form.mode } : {}),
      ...(replicas !== undefined ? { replicas } : {}),
    },
  };
}
