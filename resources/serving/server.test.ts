/**
 * The model server's HTTP surface, against the real server process and onnxruntime-node: every
 * Open Inference Protocol and MLflow endpoint, each kind of bad input (and that the server answers
 * normally after it), the body limit, media types, metrics and the request log.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  irisMeta,
  irisModel,
  post,
  type RunningServer,
  regressionMeta,
  regressionModel,
  startServer,
  tempDir,
  waitReady,
} from './testServer.ts';

const setosa = [5.1, 3.5, 1.4, 0.2];
const virginica = [6.7, 3.0, 5.2, 2.3];

/** What onnxruntime itself says for these rows, to compare the server's answers against. */
async function direct(rows: number[][]) {
  const session = await ort.InferenceSession.create(irisModel);
  const out = await session.run({
    input: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]),
  });
  await session.release();
  return {
    probabilities: Array.from(out.probabilities!.data as Float32Array),
    label: Array.from(out.label!.data as BigInt64Array, Number),
  };
}

let iris: RunningServer;
let logDir: string;
const LIMIT = 4096;

beforeAll(async () => {
  const dir = tempDir();
  logDir = path.join(dir, 'log');
  iris = await startServer({
    model: irisModel,
    meta: irisMeta,
    dir,
    env: { MLWB_MAX_BODY_BYTES: String(LIMIT), MLWB_REQUEST_LOG_DIR: logDir },
  });
  await waitReady(iris.url);
});
afterAll(async () => {
  await iris?.stop();
});

const infer = (body: unknown, p = '/v2/models/iris/infer') => post(`${iris.url}${p}`, body);
const tensor = (data: unknown, shape = [1, 4], datatype = 'FP32', name = 'input') => ({
  inputs: [{ name, shape, datatype, data }],
});

describe('Open Inference Protocol v2', () => {
  it('answers server metadata, liveness and readiness', async () => {
    const meta = await fetch(`${iris.url}/v2`);
    expect(meta.status).toBe(200);
    expect(await meta.json()).toEqual({
      name: 'mlwb-model-server',
      version: expect.any(String),
      extensions: [],
    });
    expect((await fetch(`${iris.url}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${iris.url}/v2/health/ready`)).status).toBe(200);
  });

  it('describes the model with OIP datatypes, with or without its version', async () => {
    for (const p of ['/v2/models/iris', '/v2/models/iris/versions/3']) {
      const res = await fetch(`${iris.url}${p}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        name: 'iris',
        versions: ['3'],
        platform: 'onnxruntime',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [
          { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
          { name: 'label', datatype: 'INT64', shape: [-1] },
        ],
      });
    }
    expect((await fetch(`${iris.url}/v2/models/iris/ready`)).status).toBe(200);
    expect((await fetch(`${iris.url}/v2/models/iris/versions/3/ready`)).status).toBe(200);
  });

  it('answers 404 for another model, another version or an unknown path', async () => {
    for (const p of [
      '/v2/models/other',
      '/v2/models/iris/versions/4',
      '/v2/models/iris/versions/4/ready',
      '/nope',
      '/v2anything',
    ]) {
      const res = await fetch(`${iris.url}${p}`);
      expect(res.status, p).toBe(404);
      expect(((await res.json()) as { error: string }).error).toMatch(/not served here|Nothing is served/);
    }
    const other = await infer(tensor(setosa), '/v2/models/other/infer');
    expect(other.status).toBe(404);
    expect(other.json.error).toMatch(/serves iris version 3/);
  });

  it('infers on flat and nested data as onnxruntime does, echoing the id', async () => {
    const want = await direct([setosa, virginica]);
    const flat = await infer({ id: 'req-1', ...tensor([...setosa, ...virginica], [2, 4]) });
    const nested = await infer(tensor([setosa, virginica], [2, 4]), '/v2/models/iris/versions/3/infer');
    for (const r of [flat, nested]) {
      expect(r.status).toBe(200);
      expect(r.json.model_name).toBe('iris');
      expect(r.json.model_version).toBe('3');
      expect(r.json.outputs).toEqual([
        { name: 'probabilities', shape: [2, 3], datatype: 'FP32', data: want.probabilities },
        { name: 'label', shape: [2], datatype: 'INT64', data: want.label },
      ]);
    }
    expect(want.label).toEqual([0, 2]);
    expect(flat.json.id).toBe('req-1');
    expect(typeof nested.json.id).toBe('string');
  });

  it('returns only the outputs asked for', async () => {
    const r = await infer({ ...tensor(setosa), outputs: [{ name: 'label' }] });
    expect(r.status).toBe(200);
    expect(r.json.outputs).toEqual([{ name: 'label', shape: [1], datatype: 'INT64', data: [0] }]);
  });

  it('refuses each kind of bad input with 400 naming what was expected, and keeps serving', async () => {
    const cases: [unknown, RegExp][] = [
      ['{"inputs": [', /not valid JSON/],
      [
        { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: setosa }] },
        /Unknown input tensor "x".*input \(FP32 \[-1, 4\]\)/,
      ],
      [tensor(setosa, [1, 4], 'FP64'), /input has datatype "FP64", but the model expects FP32/],
      [tensor(setosa, [4]), /shape \[4\], but the model expects \[-1, 4\]/],
      [tensor([1, 2, 3], [1, 3]), /shape \[1, 3\], but the model expects \[-1, 4\]/],
      [tensor(setosa, [2, 4]), /has 4 values in "data", but its shape \[2, 4\] needs 8/],
      [tensor(['a', 1, 2, 3]), /FP32, so its data must hold numbers; element 0 is "a"/],
      [{ ...tensor(setosa), outputs: [{ name: 'nope' }] }, /Unknown output tensor "nope"/],
      [{ ...tensor(setosa), outputs: [] }, /"outputs" must be a non-empty list/],
      [{ inputs: [] }, /"inputs" must be a list/],
    ];
    for (const [body, message] of cases) {
      const r = await infer(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error).toMatch(message);
      expect((await infer(tensor(setosa))).status).toBe(200);
    }
  });

  it('refuses another content type with 415', async () => {
    const r = await post(`${iris.url}/v2/models/iris/infer`, 'a=1', 'application/x-www-form-urlencoded');
    expect(r.status).toBe(415);
    expect(r.json.error).toMatch(/application\/json/);
    expect((await post(`${iris.url}/invocations`, '<x/>', 'application/xml')).status).toBe(415);
  });
});

/** Raw HTTP, to control when (and whether) a body is sent. */
function rawRequest(head: string, onConnect?: (s: net.Socket) => void): Promise<string> {
  const { port } = new URL(iris.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(head);
      onConnect?.(socket);
    });
    let got = '';
    socket.on('data', (d) => {
      got += d.toString();
    });
    socket.on('error', () => resolve(got));
    socket.on('close', () => resolve(got));
    setTimeout(() => reject(new Error(`no answer: ${got}`)), 10_000).unref();
  });
}

describe('body limit', () => {
  it('refuses an announced over-limit body with 413 before any of it is sent', async () => {
    const reply = await rawRequest(
      'POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 413/);
    expect(reply).toMatch(/larger than the server's limit of 4096 bytes/);
    expect(reply).toMatch(/^X-Request-Id: [0-9a-f-]{36}\r$/m);
    expect((await infer(tensor(setosa))).status).toBe(200);
  });

  it('refuses a chunked body once it grows past the limit', async () => {
    let timer: NodeJS.Timeout | undefined;
    const reply = await rawRequest(
      'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      (socket) => {
        // Keeps sending 1 KiB chunks forever: only the server's refusal ends this request.
        const chunk = `400\r\n${' '.repeat(1024)}\r\n`;
        timer = setInterval(() => socket.writable && socket.write(chunk), 5);
      },
    );
    clearInterval(timer);
    expect(reply).toMatch(/^HTTP\/1\.1 413/);
    expect((await infer(tensor(setosa))).status).toBe(200);
  });
});

describe('MLflow scoring protocol', () => {
  const invoke = (body: unknown, type?: string) => post(`${iris.url}/invocations`, body, type);
  const both = [
    { label: 'setosa', probabilities: expect.objectContaining({ setosa: expect.any(Number) }) },
    { label: 'virginica', probabilities: expect.any(Object) },
  ];

  it('maps named columns by the feature spec, in any order, for every input format', async () => {
    const want = await direct([setosa, virginica]);
    const cols = irisMeta.features.input;
    const order = [3, 0, 2, 1];
    const records = [setosa, virginica].map((row) => Object.fromEntries(cols.map((c, i) => [c, row[i]])));
    const bodies: [unknown, string?][] = [
      [
        {
          dataframe_split: {
            columns: order.map((i) => cols[i]),
            data: [setosa, virginica].map((r) => order.map((i) => r[i])),
          },
        },
      ],
      [{ dataframe_records: records }],
      [{ instances: records }],
      [{ instances: [setosa, virginica] }],
      [{ instances: [{ input: setosa }, { input: virginica }] }],
      [{ inputs: [setosa, virginica] }],
      [{ inputs: { input: [setosa, virginica] } }],
      [{ inputs: Object.fromEntries(cols.map((c, i) => [c, [setosa[i], virginica[i]]])) }],
      [`petal_width,sepal_length,sepal_width,petal_length\n0.2,5.1,3.5,1.4\n2.3,6.7,3.0,5.2\n`, 'text/csv'],
      [
        `sepal_length,sepal_width,petal_length,petal_width\r\n5.1,3.5,1.4,0.2\r\n6.7,3.0,5.2,2.3`,
        'application/csv',
      ],
    ];
    for (const [body, type] of bodies) {
      const r = await invoke(body, type);
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(r.json.predictions, JSON.stringify(body)).toEqual(both);
      const first = (r.json.predictions as { probabilities: Record<string, number> }[])[0]!.probabilities;
      expect(Object.values(first)).toEqual(want.probabilities.slice(0, 3));
    }
  });

  it('refuses a missing feature column, naming it and the input', async () => {
    const r = await invoke({
      dataframe_split: { columns: ['sepal_length', 'sepal_width', 'petal_length'], data: [[1, 2, 3]] },
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/Missing feature column "petal_width" \(input input takes sepal_length/);
    const csv = await invoke(
      'sepal_length,sepal_width,petal_length,petal_width\n5.1,x,1.4,0.2\n',
      'text/csv',
    );
    expect(csv.status).toBe(400);
    expect(csv.json.error).toMatch(/element 1 is "x"/);
    expect((await invoke({ unknown: [] })).json.error).toMatch(/dataframe_split/);
    // Rows of unnamed columns as wide as the first, and values that are values.
    const ragged = await invoke({ dataframe_split: { data: [setosa, [6.7, 3.0]] } });
    expect(ragged.status).toBe(400);
    expect(ragged.json.error).toMatch(/row 1 has 2 values, but row 0 has 4/);
    const nested = await invoke({ dataframe_split: { data: [[5.1, [3.5, 1.4], 0.2]] } });
    expect(nested.status).toBe(400);
    expect(nested.json.error).toMatch(/is a list or object/);
    expect((await invoke({ instances: [setosa] })).status).toBe(200);
  });

  it('answers /ping, /health and /version', async () => {
    expect((await fetch(`${iris.url}/ping`)).status).toBe(200);
    expect((await fetch(`${iris.url}/health`)).status).toBe(200);
    const v = await fetch(`${iris.url}/version`);
    expect(await v.json()).toEqual({ server: expect.any(String), model: 'iris', modelVersion: 3 });
  });
});

describe('operation', () => {
  it('exposes request counts by endpoint and status, a latency histogram, in-flight and load time', async () => {
    await infer(tensor(setosa));
    await infer('{');
    const text = await (await fetch(`${iris.url}/metrics`)).text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1]);
    expect(
      value(/^mlwb_requests_total\{endpoint="\/v2\/models\/\{name\}\/infer",status="200"\} (\d+)$/m),
    ).toBeGreaterThan(1);
    expect(
      value(/^mlwb_requests_total\{endpoint="\/v2\/models\/\{name\}\/infer",status="400"\} (\d+)$/m),
    ).toBeGreaterThan(0);
    expect(
      value(/^mlwb_requests_total\{endpoint="\/v2\/models\/\{name\}\/infer",status="413"\} (\d+)$/m),
    ).toBe(1);
    expect(text).toMatch(/^# TYPE mlwb_request_duration_seconds histogram$/m);
    const count = value(/^mlwb_request_duration_seconds_count\{endpoint="\/invocations"\} (\d+)$/m);
    expect(
      value(/^mlwb_request_duration_seconds_bucket\{endpoint="\/invocations",le="\+Inf"\} (\d+)$/m),
    ).toBe(count);
    expect(value(/^mlwb_request_duration_seconds_bucket\{endpoint="\/invocations",le="10"\} (\d+)$/m)).toBe(
      count,
    );
    // The /metrics request itself is in flight while it is rendered.
    expect(value(/^mlwb_requests_in_flight (\d+)$/m)).toBe(1);
    expect(value(/^mlwb_model_load_seconds ([\d.e-]+)$/m)).toBeGreaterThan(0);
    expect(value(/^mlwb_model_ready (\d)$/m)).toBe(1);
  });

  it('logs every inference request as one JSON line with named features and outputs', async () => {
    const r = await infer({ id: 'logged-1', ...tensor(setosa) });
    expect(r.status).toBe(200);
    await infer({ id: 'refused-1', ...tensor(setosa, [1, 4], 'INT64') });
    await post(`${iris.url}/invocations`, {
      dataframe_records: [{ sepal_length: 6.7, sepal_width: 3, petal_length: 5.2, petal_width: 2.3 }],
    });
    await new Promise((res) => setTimeout(res, 300));
    const lines = fs
      .readFileSync(path.join(logDir, 'requests.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const ok = lines.find((l) => l.id === 'logged-1');
    expect(ok).toEqual({
      id: 'logged-1',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      model: 'iris',
      version: 3,
      endpoint: 'infer',
      features: { sepal_length: [5.1], sepal_width: [3.5], petal_length: [1.4], petal_width: [0.2] },
      outputs: {
        probabilities: [r.json.outputs && (r.json.outputs as { data: number[] }[])[0]!.data],
        label: [0],
      },
      latencyMs: expect.any(Number),
      status: 200,
    });
    const refused = lines.find((l) => l.status === 400 && l.error?.includes('INT64'));
    expect(refused).toMatchObject({ endpoint: 'infer', features: null, outputs: null });
    const last = lines.at(-1);
    expect(last).toMatchObject({
      endpoint: 'invocations',
      status: 200,
      features: { petal_width: [2.3] },
      outputs: { label: [2] },
    });
  });
});

/** Every line of the request log so far. */
function loggedLines(): Record<string, unknown>[] {
  const file = path.join(logDir, 'requests.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** The one log line written under `id`, once the primary process has written it out. */
async function loggedLine(id: string): Promise<Record<string, unknown>> {
  const until = Date.now() + 5000;
  for (;;) {
    const found = loggedLines().filter((l) => l.id === id);
    if (found.length > 0 || Date.now() > until) {
      expect(found, `log lines with id ${id}`).toHaveLength(1);
      return found[0]!;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('request id', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const invoke = (body: unknown, headers?: Record<string, string>, type = 'application/json') =>
    post(`${iris.url}/invocations`, body, type, headers);
  const inferAt = (body: unknown, headers?: Record<string, string>, p = '/v2/models/iris/infer') =>
    post(`${iris.url}${p}`, body, 'application/json', headers);

  it('answers every inference request with its log line id in X-Request-Id, a fresh UUID by default', async () => {
    const inv = await invoke({ instances: [setosa] });
    const oip = await inferAt(tensor(setosa));
    for (const [r, endpoint] of [
      [inv, 'invocations'],
      [oip, 'infer'],
    ] as const) {
      expect(r.status).toBe(200);
      expect(r.requestId).toMatch(UUID);
      expect(await loggedLine(r.requestId!)).toMatchObject({
        endpoint,
        status: 200,
        outputs: { label: [0] },
      });
    }
    expect(oip.json.id).toBe(oip.requestId);
    expect(inv.requestId).not.toBe(oip.requestId);
  });

  it("takes the client's X-Request-Id as the request's id on both endpoints", async () => {
    const inv = await invoke({ instances: [setosa] }, { 'X-Request-Id': 'client_inv-1' });
    expect(inv.status).toBe(200);
    expect(inv.requestId).toBe('client_inv-1');
    expect(await loggedLine('client_inv-1')).toMatchObject({ endpoint: 'invocations', status: 200 });
    const longest = 'y'.repeat(128);
    const oip = await inferAt(tensor(setosa), { 'X-Request-Id': 'trace:42.a-B' });
    const long = await inferAt(tensor(setosa), { 'X-Request-Id': longest });
    expect(oip.requestId).toBe('trace:42.a-B');
    expect(oip.json.id).toBe('trace:42.a-B');
    expect(await loggedLine('trace:42.a-B')).toMatchObject({ endpoint: 'infer', status: 200 });
    expect(long.requestId).toBe(longest);
    expect(await loggedLine(longest)).toMatchObject({ endpoint: 'infer', status: 200 });
  });

  it("prefers the OIP body's id over the header, and says so in the header", async () => {
    const r = await inferAt({ id: 'body-id-1', ...tensor(setosa) }, { 'X-Request-Id': 'header-id-1' });
    expect(r.status).toBe(200);
    expect(r.json.id).toBe('body-id-1');
    expect(r.requestId).toBe('body-id-1');
    expect(await loggedLine('body-id-1')).toMatchObject({ endpoint: 'infer', status: 200 });
    expect(loggedLines().filter((l) => l.id === 'header-id-1')).toEqual([]);
  });

  it('ignores an invalid X-Request-Id and uses a fresh UUID instead of refusing', async () => {
    const invalid = ['has space', 'a/b', 'x'.repeat(129), 'ünïcode'];
    for (const sent of invalid) {
      const r = await invoke({ instances: [setosa] }, { 'X-Request-Id': sent });
      expect(r.status, sent).toBe(200);
      expect(r.requestId, sent).toMatch(UUID);
      expect(await loggedLine(r.requestId!)).toMatchObject({ endpoint: 'invocations', status: 200 });
    }
    const oip = await inferAt(tensor(setosa), { 'X-Request-Id': 'has space' });
    expect(oip.status).toBe(200);
    expect(oip.requestId).toMatch(UUID);
    expect(oip.json.id).toBe(oip.requestId);
    expect(loggedLines().filter((l) => invalid.includes(l.id as string))).toEqual([]);
  });

  it('answers a refused request with the id of its log line', async () => {
    const wrongType = tensor(setosa, [1, 4], 'INT64');
    const cases: [() => ReturnType<typeof post>, number, string | RegExp][] = [
      [() => invoke({ unknown: [] }), 400, UUID],
      [() => invoke({ unknown: [] }, { 'X-Request-Id': 'refused-inv-1' }), 400, 'refused-inv-1'],
      [() => invoke('<x/>', { 'X-Request-Id': 'refused-inv-2' }, 'application/xml'), 415, 'refused-inv-2'],
      [() => inferAt(wrongType, { 'X-Request-Id': 'refused-infer-1' }), 400, 'refused-infer-1'],
      // The body's id counts even when the rest of the body is refused.
      [
        () => inferAt({ id: 'refused-body-1', ...wrongType }, { 'X-Request-Id': 'refused-hdr-1' }),
        400,
        'refused-body-1',
      ],
      [() => inferAt('{', { 'X-Request-Id': 'refused-infer-2' }), 400, 'refused-infer-2'],
      [() => inferAt({ id: 'not a valid id', ...tensor(setosa) }), 400, UUID],
      [
        () => inferAt(tensor(setosa), { 'X-Request-Id': 'refused-infer-3' }, '/v2/models/other/infer'),
        404,
        'refused-infer-3',
      ],
    ];
    for (const [send, status, id] of cases) {
      const r = await send();
      expect(r.status).toBe(status);
      if (typeof id === 'string') expect(r.requestId).toBe(id);
      else expect(r.requestId).toMatch(id);
      expect(await loggedLine(r.requestId!)).toMatchObject({
        status,
        features: null,
        outputs: null,
        error: r.json.error,
      });
    }
  });

  it('refuses an OIP body id that could not be sent back in the header', async () => {
    for (const id of ['', 'a b', 'x'.repeat(129), 7]) {
      const r = await inferAt({ id, ...tensor(setosa) });
      expect(r.status, String(id)).toBe(400);
      expect(r.json.error).toMatch(/"id" must be a string of 1–128 characters/);
    }
  });
});

describe('regression model (FP64 input)', () => {
  let reg: RunningServer;
  beforeAll(async () => {
    reg = await startServer({ model: regressionModel, meta: regressionMeta });
    await waitReady(reg.url);
  });
  afterAll(() => reg?.stop());

  it('answers OIP FP64 tensors and MLflow records with one number per row', async () => {
    const session = await ort.InferenceSession.create(regressionModel);
    const out = await session.run({
      x: new ort.Tensor('float64', Float64Array.from([1.324, -0.993, 7.292, -0.756]), [2, 2]),
    });
    const want = Array.from(out.variable!.data as Float32Array);
    await session.release();
    const oip = await post(`${reg.url}/v2/models/reg/infer`, {
      inputs: [
        {
          name: 'x',
          shape: [2, 2],
          datatype: 'FP64',
          data: [
            [1.324, -0.993],
            [7.292, -0.756],
          ],
        },
      ],
    });
    expect(oip.status).toBe(200);
    expect(oip.json.outputs).toEqual([{ name: 'variable', shape: [2, 1], datatype: 'FP32', data: want }]);
    const records = await post(`${reg.url}/invocations`, {
      dataframe_records: [
        { v: -0.993, u: 1.324, target: 6.6 },
        { u: 7.292, v: -0.756 },
      ],
    });
    expect(records.status).toBe(200);
    expect(records.json.predictions).toEqual(want);
    const fp32 = await post(`${reg.url}/v2/models/reg/infer`, {
      inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }],
    });
    expect(fp32.status).toBe(400);
    expect(fp32.json.error).toMatch(/expects FP64/);
  });
});
