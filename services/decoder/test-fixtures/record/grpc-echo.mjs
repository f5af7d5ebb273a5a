// Real gRPC server and client (@grpc/grpc-js, insecure = HTTP/2 prior knowledge) for the grpc
// fixture: unary OK, unary NOT_FOUND with a message, server streaming of `count` replies.
// Usage: node grpc-echo.mjs server PORT | client PORT
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [mode, portArg] = process.argv.slice(2);
const port = Number(portArg ?? 18091);
const def = protoLoader.loadSync(new URL('./echo.proto', import.meta.url).pathname);
const Echo = grpc.loadPackageDefinition(def).clovisor.test.Echo;

if (mode === 'server') {
  const server = new grpc.Server();
  server.addService(Echo.service, {
    Say: (call, cb) => {
      if (call.request.text === 'missing') cb({ code: grpc.status.NOT_FOUND, details: 'no such greeting' });
      else cb(null, { text: `hello ${call.request.text}` });
    },
    Count: (call) => {
      for (let i = 0; i < call.request.count; i++) call.write({ text: `n${i}` });
      call.end();
    },
  });
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), () => {});
} else {
  const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const say = (text) => new Promise((resolve) => client.Say({ text }, (err, reply) => resolve(err ? `${err.code}` : reply.text)));
  const out = [await say('world'), await say('missing')];
  await new Promise((resolve) => {
    const call = client.Count({ text: 'x', count: 3 });
    call.on('data', (r) => out.push(r.text));
    call.on('end', resolve);
    call.on('error', resolve);
  });
  console.log(JSON.stringify(out));
  client.close();
}
