/**
 * `mlwb`: the workbench from a terminal or a CI pipeline. It opens the home in-process and calls
 * the same API the app uses. Exit codes: 0 success, 1 error, 2 usage, 3 a requested check failed.
 */

import packageJson from '../../package.json' with { type: 'json' };
import { toWireError } from '../core/errors.ts';
import type { Workbench } from '../core/workbench.ts';
import type { TrackingListener } from '../server/trackingListener.ts';
import { datasetCommand, datasetHelp, gcCommand, verifyCommand } from './datasetCommands.ts';
import { deployCommand, deployHelp, deploymentsCommand, deploymentsHelp } from './deployCommands.ts';
import { driftCommand, driftHelp } from './driftCommand.ts';
import { modelCommand, modelHelp } from './modelCommands.ts';
import {
  alertsCommand,
  alertsHelp,
  labelsCommand,
  labelsHelp,
  monitorsCommand,
  monitorsHelp,
} from './monitorCommands.ts';
import { CheckFailed, createOut, FailedWithResult, toJson, UsageError } from './output.ts';
import { policiesCommand, policiesHelp } from './policyCommands.ts';
import { enginesCommand, runCommand, runHelp, runsCommand } from './runCommands.ts';

export const help = `mlwb — MLOps Workbench from the command line

Usage: mlwb [--home DIR] COMMAND … [--json]

Datasets
  dataset add NAME PATH… [--message TEXT]   version files and folders
  dataset list | versions NAME | show NAME[@V]
  dataset diff NAME V1 V2 [--key COL]
  dataset profile NAME[@V]
  dataset export NAME[@V] DIR
Training
  run RECIPE_DIR --dataset [CHANNEL=]NAME[@V]… [--param K=V]… [--sweep K=V1,V2…]… [--parallel N] [--detach]
  runs list [--filter EXPR] [--order-by EXPR] | show ID | logs ID [--follow] | cancel ID | rerun ID | wait ID…
  engines list | add NAME HOST [--tls-verify] [--cert-path DIR] | remove NAME
Models
  model register RUN_ID --name NAME [--path FILE] [--label COL | --features A,B…]
  model list | show NAME[@V|@ALIAS]
  model evaluate NAME@V|NAME@ALIAS --dataset NAME[@V] [--path FILE] [--label COL]
  model gate NAME ALIAS --dataset NAME[@V] --label COL --rule "accuracy >= 0.9"…
  model alias NAME VERSION ALIAS [--force --reason TEXT]
                                            exit 3 when the alias's gate refuses
  model package NAME@V|NAME@ALIAS [--tag REPO[:TAG]]
Deployments
  deploy NAME@V|NAME@ALIAS [--port P] [--engine E] [--name N] [--mode container|swarm] [--replicas N]
  deployments list | show NAME | logs NAME | stop NAME | restart NAME | remove NAME
  deployments update NAME NAME@V|NAME@ALIAS  health-gated; exit 3 when rolled back
  deployments requests NAME [--limit N]      its newest logged requests
Monitoring
  monitors list | show NAME | remove NAME
  monitors add DEPLOYMENT [--window 1h] [--every 5m] [--rule "error_rate < 0.05"]… [--reference SRC]
  monitors run NAME                         exit 3 when an alert fires or keeps firing
  alerts list [--state firing|resolved] [--monitor NAME]
  labels add DEPLOYMENT FILE                ground truth by request id
  policies list | show NAME | remove NAME
  policies add DEPLOYMENT [--monitor M] [--new-data] [--alias A]   continuous training
  policies run NAME [--if-triggered]        retrain, evaluate, gate, deploy; exit 3 when refused
Drift
  drift --reference SRC --current SRC [--method [COL=]M]… [--threshold [COL=]T]…
        SRC: FILE | dataset:NAME[@V][:PATH] | deployment:NAME[:SINCE] (SINCE: 24h, or a time)
        [--columns A,B] [--drift-share S] [--column-type COL=T]… [--preset NAME]
                                            exit 3 when dataset drift is detected
  drift reports | show ID | compare ID1 ID2 | presets [save|delete NAME]
Store
  verify                                    re-hash every blob; exit 3 when damaged
  gc                                        remove blobs nothing references
App
  ui [--port P] [--no-open]                 the workbench in a browser (127.0.0.1 only)

Global options
  --home DIR    the workbench home (default: $MLWB_HOME, else the user data folder)
  --json        print exactly one JSON document on stdout
  --help        this text;  --version  the version

${datasetHelp}

${runHelp}

${modelHelp}

${deployHelp}

${deploymentsHelp}

${monitorsHelp}

${alertsHelp}

${labelsHelp}

${policiesHelp}

${driftHelp}`;

interface Globals {
  home?: string;
  json: boolean;
  help: boolean;
  version: boolean;
  rest: string[];
}

/** Global flags may appear anywhere; everything else is the command's. `--` ends option parsing. */
export function splitGlobals(argv: string[]): Globals {
  const g: Globals = { json: false, help: false, version: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      g.rest.push(...argv.slice(i));
      break;
    }
    if (a === '--json') g.json = true;
    else if (a === '--help' || a === '-h') g.help = true;
    else if (a === '--version') g.version = true;
    else if (a === '--home') {
      const v = argv[++i];
      if (!v) throw new UsageError('--home needs a folder');
      g.home = v;
    } else if (a.startsWith('--home=')) g.home = a.slice('--home='.length);
    else g.rest.push(a);
  }
  return g;
}

export async function main(
  argv: string[],
  io = { stdout: process.stdout, stderr: process.stderr },
  /** `entry`: the script that started this CLI (bin/mlwb.js), to start background processes with. */
  opts: { entry?: string } = {},
): Promise<number> {
  let globals: Globals;
  try {
    globals = splitGlobals(argv);
  } catch (err) {
    io.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
  const out = createOut(globals.json, io.stdout, io.stderr);
  const [command, ...rest] = globals.rest;
  if (globals.version) {
    io.stdout.write(
      globals.json ? `${toJson({ version: packageJson.version })}\n` : `mlwb ${packageJson.version}\n`,
    );
    return 0;
  }
  if (globals.help || command === undefined || command === 'help') {
    io.stdout.write(`${help}\n`);
    return command === undefined && !globals.help ? 2 : 0;
  }

  // Not in the help: the process a large `dataset add` leaves watching its folders.
  if (command === '__watch-sources') {
    const [{ resolveHome }, { sourceWatchCommand }] = await Promise.all([
      import('../core/workbench.ts'),
      import('./sourceWatchProcess.ts'),
    ]);
    return sourceWatchCommand(resolveHome(globals.home), rest);
  }

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let wb: Workbench | undefined;
  let listener: TrackingListener | undefined;
  try {
    if (
      ![
        'dataset',
        'run',
        'runs',
        'engines',
        'model',
        'deploy',
        'deployments',
        'monitors',
        'alerts',
        'labels',
        'policies',
        'drift',
        'verify',
        'gc',
        'ui',
      ].includes(command)
    ) {
      throw new UsageError(`unknown command "${command}". Run mlwb --help.`);
    }
    // The core loads only once a command needs it: --help and --version stay instant.
    const [{ openWorkbench, resolveHome }, { createApi }] = await Promise.all([
      import('../core/workbench.ts'),
      import('../core/api.ts'),
    ]);
    wb = await openWorkbench(resolveHome(globals.home), { mode: command === 'ui' ? 'browser' : 'cli' });
    const api = createApi(wb);
    // Runs started or followed here reach the MLflow-compatible API through this listener.
    // (`policies run` trains; the other policies commands only read and write the store.)
    if (
      command === 'run' ||
      command === 'runs' ||
      command === 'ui' ||
      (command === 'policies' && rest[0] === 'run')
    ) {
      const { startTrackingListener } = await import('../server/trackingListener.ts');
      listener = await startTrackingListener(wb);
    }
    switch (command) {
      case 'dataset':
        return await datasetCommand(api, rest, out, controller.signal, {
          home: wb.home,
          entry: opts.entry,
        });
      case 'run':
        return await runCommand(api, rest, out, controller.signal);
      case 'runs':
        return await runsCommand(api, rest, out, controller.signal);
      case 'engines':
        return await enginesCommand(api, rest, out);
      case 'model':
        return await modelCommand(api, rest, out, controller.signal);
      case 'deploy':
        return await deployCommand(api, rest, out, controller.signal);
      case 'deployments':
        return await deploymentsCommand(api, rest, out, controller.signal);
      case 'monitors':
        return await monitorsCommand(api, rest, out, controller.signal);
      case 'alerts':
        return await alertsCommand(api, rest, out);
      case 'labels':
        return await labelsCommand(api, rest, out);
      case 'policies':
        return await policiesCommand(api, rest, out, controller.signal);
      case 'drift':
        return await driftCommand(api, rest, out, controller.signal);
      case 'verify':
        return await verifyCommand(api, rest, out, controller.signal);
      case 'gc':
        return await gcCommand(api, rest, out);
      case 'ui':
        return await (await import('./uiCommand.ts')).uiCommand(wb, api, rest, io);
    }
    return 2;
  } catch (err) {
    out.progressDone();
    if (err instanceof CheckFailed) return 3;
    if (err instanceof FailedWithResult) {
      io.stderr.write(`error: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
      return 1;
    }
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`error: ${(err as Error).message}\n`);
      return 2;
    }
    const wire = toWireError(err);
    io.stderr.write(`error: ${wire.message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (globals.json) io.stdout.write(`${toJson({ error: wire })}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    await listener?.close();
    await wb?.close();
  }
}
