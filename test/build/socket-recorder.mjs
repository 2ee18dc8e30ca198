/**
 * Preloaded (`node --import`) into a built server by test/build/air-gapped.test.ts: appends one JSON line to
 * $SOCKET_LOG for every outbound connection, listener, UDP socket and name lookup the process makes, before it is
 * made. It wraps the prototypes and module objects every route to a socket goes through (net.connect, http and
 * https agents, fetch, pg and tls all end in net.Socket.prototype.connect), so an import binding taken earlier
 * cannot slip past it.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { appendFileSync } from 'node:fs';
import net from 'node:net';

const file = process.env.SOCKET_LOG;
if (!file) throw new Error('socket-recorder: SOCKET_LOG is not set');
const record = (entry) => appendFileSync(file, `${JSON.stringify(entry)}\n`);

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  // net.connect passes its normalized [options, callback] array; socket.connect(port, host) and (options) too.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === 'object' && first !== null ? first : typeof first === 'string' && Number.isNaN(Number(first)) ? { path: first } : { port: Number(first), host: typeof args[1] === 'string' ? args[1] : undefined };
  record({ kind: 'connect', host: options.host ?? (options.path ? undefined : 'localhost'), port: options.port === undefined ? undefined : Number(options.port), path: options.path });
  return connect.apply(this, args);
};

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  this.once('listening', () => record({ kind: 'listen', address: this.address() }));
  return listen.apply(this, args);
};

const createSocket = dgram.createSocket;
dgram.createSocket = function (...args) {
  record({ kind: 'udp', type: typeof args[0] === 'string' ? args[0] : args[0]?.type });
  return createSocket.apply(this, args);
};

for (const name of ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveTxt', 'resolveSrv']) {
  for (const target of [dns, dns.promises]) {
    const original = target[name];
    target[name] = function (...args) {
      record({ kind: 'dns', call: name, name: args[0] });
      return original.apply(this, args);
    };
  }
}
