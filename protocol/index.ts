export { ErrorCodes, ModtFailure, modtError, type ErrorCode, type ModtError } from './errors.ts';
export {
  AppDisplay,
  AppReady,
  AuthSuccess,
  DeadLetter,
  MAX_ANNOUNCED_PUSHES,
  PushedRedirect,
  RedirectPushed,
  Topics,
  appDisplayTopic,
  deadLetterTopic,
  displayAppOf,
  checkerOf,
  schemaByTopic,
} from './schemas.ts';
export {
  DEFAULT_MAX_PAYLOAD_BYTES,
  checkValue,
  decodeJson,
  decodePayload,
  type Decoded,
} from './decode.ts';
