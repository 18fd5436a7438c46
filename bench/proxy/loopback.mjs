// Preloaded into the Portkey gateway (node --import): its `gateway` bin calls
// serve({ fetch, port }) with no hostname, i.e. it listens on every interface, and has no flag
// to change that. The bench must stay on loopback, so a listen() given a port but no host is
// pointed at 127.0.0.1. Nothing else of the gateway is touched.

import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args[1] === undefined || typeof args[1] === 'function')) {
    args.splice(1, args[1] === undefined ? 1 : 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};
