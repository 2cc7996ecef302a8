/**
 * The floor of the connected accept: a bare node:http proxy that forwards each request as it
 * came (method, path, headers, body) to the same upstream and relays the answer. No validation,
 * no record, no mark: what forwarding alone costs.
 *
 * With DELAY_MS it is also the upstream's distance: it relays each answer that long after the
 * upstream gave it, as TaskRouter's API answers from an AWS region about 100 ms after a request.
 */
import { Agent, createServer, request as httpRequest } from 'node:http';

const upstream = new URL(process.env['UPSTREAM']!);
const delayMs = Number(process.env['DELAY_MS'] ?? 0);
// Idle connections are closed before the upstream's own keep-alive timeout (Node's 5 s) can close
// one just as it is reused.
const agent = new Agent({ keepAlive: true, timeout: 4_000 });
const server = createServer((req, res) => {
  const out = httpRequest(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host }, agent },
    (answer) => {
      const relay = () => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      };
      if (delayMs > 0) setTimeout(relay, delayMs);
      else relay();
    },
  );
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(out);
});
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as { port: number }).port}\n`);
});
