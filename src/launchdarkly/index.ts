// The LaunchDarkly room's public surface: the client, the endpoint builders and schema building
// blocks the stream modules use, errors and the shared rate limiter.
export { LaunchDarklyClient } from './client';
export {
  BASE_URLS,
  USER_AGENT,
  type LaunchDarklyClientOptions,
  type RequestInfo,
  type RetryInfo,
} from './client-options';
export {
  enc,
  itemEndpoint,
  keyOrId,
  listEndpoint,
  type ItemEndpoint,
  type ListEndpoint,
  type QueryValue,
} from './endpoint';
export { ClientOptionsError, LaunchDarklyError, type EndpointRef } from './errors';
export { closeHttpPools } from './http';
export { mapLimit } from './map-limit';
export { unreachableReason } from './reachability';
export type { Page, PageOptions } from './pagination';
export {
  RateLimiter,
  rateLimiterFor,
  type OnWait,
  type RateLimiterOptions,
  type RequestStats,
  type WaitInfo,
  type WaitKind,
} from './rate-limiter';
export { redactSecrets } from './redact';
export { CollectionSchema, Link, describeIssue, epochMs, optionalText, rawOf, tags, type Raw } from './schemas';
