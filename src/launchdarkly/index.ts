// The LaunchDarkly room's public surface: the client, its types, errors and the shared rate limiter.
export {
  API_VERSIONS,
  BASE_URLS,
  DEFAULT_API_VERSION,
  ENVIRONMENTS_PER_FLAG_REQUEST,
  LaunchDarklyClient,
  PAGE_SIZES,
  USER_AGENT,
  type ApiVersion,
  type EndpointCheck,
  type FlagPass,
  type LaunchDarklyClientOptions,
  type RequestInfo,
  type RetryInfo,
} from './client';
export { ClientOptionsError, LaunchDarklyError, isLaunchDarklyError } from './errors';
export { closeHttpPools } from './http';
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
export type { Environment, Flag, FlagEnvironment, FlagStatus, Project, Raw, Team, TeamMaintainer } from './schemas';
