export {
  Gateway,
  type GatewayDrop,
  type GatewayOptions,
  type GatewayRefusal,
} from './gateway.ts';
export { readGatewayOptions, DEFAULT_PORT } from './options.ts';
export { checkPortFree, settlePort } from './free-port.ts';
export { startGateway } from './start-gateway.ts';
export {
  UserStore,
  deleteUser,
  putUser,
  readUsersFile,
  type Identity,
  type UserRecord,
} from './user-store.ts';
export { hashPassword, verifyPassword, DEFAULT_COST, type ScryptCost } from './passwords.ts';
export { loadUws, UWS_BINARY } from './uws.ts';
export { checkRedirect, allowedOriginsOf } from './redirect-policy.ts';
export { RedirectDispatcher, type NoAnswer, type Push } from './redirect-dispatcher.ts';
export { SessionRegistry, type BrowserSession, type Login } from './session-registry.ts';
export { AttemptLimiter, type AttemptLimits } from './attempt-limiter.ts';
export { LoginThrottle, type ThrottleLimits } from './login-throttle.ts';
export { TrustedProxies, canonicalAddress, clientAddressOf } from './client-address.ts';
