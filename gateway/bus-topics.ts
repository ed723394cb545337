import { Topics } from '../protocol/index.ts';

/** The gateway's broker account, and what it may read and write: nothing else. */
export const GATEWAY_ACCOUNT = 'gateway';
export const GATEWAY_READS: readonly string[] = [Topics.appReady, Topics.appDisplays];
export const GATEWAY_WRITES: readonly string[] = [Topics.authSuccess, Topics.redirectPushed];
