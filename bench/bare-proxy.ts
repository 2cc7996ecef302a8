/**
 * The floor of the connected accept: a bare node:http proxy that forwards each request as it
 * came (method, path, headers, body) to the same upstream and relays the answer. No validation,
 * no record, no mark: what forwarding alone costs.
 */
import { createServer, request as httpRequest } from 'node:http';

const upstream = new URL(process.env['UPSTREAM']!);
const server = createServer((req, res) => {
  const out = httpRequest(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  req.pipe(out);
});
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as { port: number }).port}\n`);
});
