/**
 * Recipes and run specs (docs/architecture.md §5). A recipe is a folder with recipe.yaml; a run spec is
 * everything needed to run it again.
 */
import * as z from 'zod';

const memoryPattern = /^[0-9]+(\.[0-9]+)?[kmgKMG]?$/;

export const ParamSpec = z.discriminatedUnion('type', [
  z.object({ type: z.literal('float'), default: z.number().optional(), description: z.string().optional() }),
  z.object({
    type: z.literal('int'),
    default: z.number().int().optional(),
    description: z.string().optional(),
  }),
  z.object({ type: z.literal('string'), default: z.string().optional(), description: z.string().optional() }),
  z.object({ type: z.literal('bool'), default: z.boolean().optional(), description: z.string().optional() }),
]);
export type ParamSpec = z.infer<typeof ParamSpec>;

export const Recipe = z
  .object({
    name: z.string().min(1, 'name: give the recipe a name'),
    image: z.string().min(1).optional(),
    build: z.string().min(1).optional(),
    command: z.array(z.string()).min(1, 'command: give the command as a list, e.g. ["python3", "train.py"]'),
    params: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'param names are letters, digits and _'),
        ParamSpec,
      )
      .default({}),
    metrics: z
      .array(z.object({ key: z.string().min(1).max(250), regex: z.string().min(1) }))
      .max(32, 'metrics: at most 32 regexes (each is matched against every log line)')
      .default([]),
    resources: z
      .object({
        cpus: z.number().positive().optional(),
        memory: z.string().regex(memoryPattern, 'memory: a size such as 512m or 2g').optional(),
        gpus: z.number().int().nonnegative().optional(),
      })
      .default({}),
  })
  .refine((r) => Boolean(r.image) !== Boolean(r.build), {
    message: 'give exactly one of image: (an existing image) or build: (a Dockerfile in the recipe folder)',
    path: ['image'],
  });
export type Recipe = z.infer<typeof Recipe>;

export const Resources = z.object({
  cpus: z.number().positive().optional(),
  memory: z.string().regex(memoryPattern).optional(),
  gpus: z.number().int().nonnegative().optional(),
});
export type Resources = z.infer<typeof Resources>;

export const DatasetInput = z.object({
  channel: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a channel is letters, digits, ., _ or -'),
  dataset: z.string().min(1),
  version: z.number().int().positive().optional(),
});
export type DatasetInput = z.infer<typeof DatasetInput>;

/** A recipe parameter's value, and a run's parameters by name. */
export const ParamValue = z.union([z.number(), z.string(), z.boolean()]);
export type ParamValue = z.infer<typeof ParamValue>;
export const RunParams = z.record(z.string(), ParamValue);

/** What a run was started with; stored on the run so Re-run repeats it exactly. */
export const RunSpec = z.object({
  recipe: z.object({ name: z.string(), path: z.string(), digest: z.string() }),
  image: z.string(),
  build: z.string().nullable(),
  command: z.array(z.string()),
  params: RunParams,
  seed: z.number().int(),
  datasets: z.array(
    z.object({ channel: z.string(), dataset: z.string(), version: z.number().int(), digest: z.string() }),
  ),
  resources: Resources,
  metrics: z.array(z.object({ key: z.string(), regex: z.string() })),
  /** The engine's address when the run was created. */
  engine: z.string(),
  /** The named engine (Settings), or absent for the default one. */
  engineName: z.string().optional(),
});
export type RunSpec = z.infer<typeof RunSpec>;

export const StartRuns = z.object({
  recipe: z.string().min(1, 'Name the recipe folder.'),
  datasets: z.array(DatasetInput).default([]),
  params: RunParams.default({}),
  /** Grid over these values (every combination), on top of `params`. */
  sweep: z.record(z.string(), z.array(ParamValue).min(1)).default({}),
  /** Random search: this many samples from the sweep values instead of the full grid. */
  randomSamples: z.number().int().positive().optional(),
  parallel: z.number().int().positive().max(32).default(1),
  resources: Resources.optional(),
  seed: z.number().int().optional(),
  experiment: z.string().optional(),
  name: z.string().optional(),
  /** A named engine from Settings; the default engine when omitted. */
  engine: z.string().optional(),
  /**
   * Create the runs QUEUED but launch nothing in this process: they are held for the process
   * they are then handed to (`runs.handOver`), which launches and follows them.
   */
  detach: z.boolean().default(false),
});
export type StartRuns = z.input<typeof StartRuns>;

export const RunDetail = z.object({
  id: z.string(),
  spec: RunSpec.nullable(),
  engine: z.string().nullable(),
  engineVersion: z.string().nullable(),
  imageDigest: z.string().nullable(),
  containerId: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  failureReason: z.string().nullable(),
  peakMemory: z.number().int().nullable(),
  skippedMetrics: z.number().int(),
  inputs: z.array(
    z.object({ channel: z.string(), dataset: z.string(), version: z.number().int(), digest: z.string() }),
  ),
  artifacts: z.array(z.object({ path: z.string(), size: z.number().int() })),
});
export type RunDetail = z.infer<typeof RunDetail>;

export const DEFAULT_ENGINE = 'default';

export const EngineName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'An engine name is letters, digits, ., _ or - (e.g. gpu-box).')
  .refine((s) => s !== DEFAULT_ENGINE, '"default" names the engine from DOCKER_HOST or the local socket.');

/** An engine's settings as stored; EngineConfig adds the checks across fields. */
export const EngineFields = z.object({
  name: EngineName,
  host: z
    .string()
    .regex(
      /^(unix|tcp|ssh|http|https):\/\/.+/,
      'The host is unix:///path, tcp://host:port or ssh://user@host.',
    ),
  /** tcp: use TLS and verify the engine's certificate against the CA in certPath. */
  tlsVerify: z.boolean().default(false),
  /** tcp with TLS: the folder with ca.pem, cert.pem and key.pem (default ~/.docker). */
  certPath: z.string().optional(),
  /** ssh: the private key to sign in with (default: the ssh agent, else ~/.ssh/id_*). */
  identityFile: z.string().optional(),
});

export const EngineConfig = EngineFields.superRefine((c, ctx) => {
  const ssh = c.host.startsWith('ssh://');
  const tcp = /^(tcp|http|https):/.test(c.host);
  if (c.identityFile !== undefined && !ssh)
    ctx.addIssue({
      code: 'custom',
      path: ['identityFile'],
      message: 'An identity file is for ssh:// hosts.',
    });
  if ((c.certPath !== undefined || c.tlsVerify) && !tcp)
    ctx.addIssue({
      code: 'custom',
      path: [c.certPath !== undefined ? 'certPath' : 'tlsVerify'],
      message: 'TLS settings are for tcp:// hosts; ssh and unix sockets do not use them.',
    });
});
export type EngineConfig = z.infer<typeof EngineConfig>;
