// Network stage: where a request comes from (listener, client address) and whether an
// account's network rules let it in. Framework-free: the app wires these into its hooks.

export { IpParseError, formatAddress, formatRange, matches, parseAddress, parseRange, tryParseAddress, type IpAddress, type IpFamily, type IpRange } from './ip.js';
export { clientAddress, createClientAddressResolver, parseTrustedProxies } from './client-address.js';
export { evaluateNetworkAccess, validateNetworkProperties, type NetworkAccessInput, type NetworkDecision, type NetworkDenyReason } from './acl.js';
export { tlsFilesFrom, loadSecureContextOptions, type TlsFiles, type TlsSettings } from './tls.js';
export {
  parseListenAddress,
  startListeners,
  viaPrivateListener,
  type ListenAddress,
  type ListenerOptions,
  type Listeners,
  type RequestHandler,
  type ServerSettings,
} from './listeners.js';
