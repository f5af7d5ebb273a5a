import { request } from 'node:http';

/**
 * SEAM: testcontainers. On machines with a Docker engine (users' laptops, other CI) the stack may
 * start Kafka/Redis/Jaeger as containers instead of local processes. This package stays
 * dependency-free, so nothing here starts containers yet: stackUp only reports (in its log) that an
 * engine was seen and then uses local processes. To add it, branch in stack.ts where
 * `dockerEngineReachable()` is consulted, in a separate optional package that depends on
 * `testcontainers`, and record containers in state.json as their own kind of owned entry.
 * Endpoints given in the environment always win over both.
 */
export function dockerEngineReachable(socketPath = '/var/run/docker.sock', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
