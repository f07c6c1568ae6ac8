// The baseline of the serving bench: the least an HTTP server on onnxruntime-node can do for an
// Open Inference Protocol request — parse the JSON, run the model, answer the outputs as JSON —
// with no validation, metrics or logging. Started as `node bareServer.mjs MODEL PORT`; prints
// `listening PORT` once ready.
import http from 'node:http';
import ort from 'onnxruntime-node';

const [model, port = '0'] = process.argv.slice(2);
const session = await ort.InferenceSession.create(model);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = JSON.parse(Buffer.concat(chunks).toString());
    const feeds = {};
    for (const t of body.inputs)
      feeds[t.name] = new ort.Tensor('float32', Float32Array.from(t.data.flat()), t.shape);
    const out = await session.run(feeds);
    const outputs = Object.entries(out).map(([name, t]) => ({
      name,
      shape: t.dims,
      data: Array.from(t.data, Number),
    }));
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ outputs }));
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
