export { ErrorCodes, ModtFailure, modtError, type ErrorCode, type ModtError } from './errors.ts';
export {
  AppDisplay,
  AppReady,
  AuthSuccess,
  DeadLetter,
  RedirectPushed,
  Topics,
  deadLetterTopic,
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
