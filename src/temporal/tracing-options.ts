// What the worker's optional OpenTelemetry tracing (LDSYNC_TRACING=otlp) is configured with, and
// the settings it takes from the validated environment: types and constants only, so the worker
// builder, the CLI and the build script need none of the OpenTelemetry packages (tracing.ts has them).
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';

/** The workflow-side interceptors module, for Worker `interceptors.workflowModules` and the bundler. */
export const OTEL_WORKFLOW_INTERCEPTORS_MODULE =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** The default OTLP/HTTP traces URL (an OpenTelemetry Collector on this host). */
export const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';

export interface TracingOptions {
  /** The OTLP/HTTP traces URL (`…/v1/traces`) spans are POSTed to. */
  tracesUrl: string;
  /** The `service.name` resource attribute; default `ldsync-worker`. */
  serviceName?: string | undefined;
  /** Tests: where spans go instead of an OTLP exporter (e.g. a SimpleSpanProcessor on an in-memory exporter). */
  spanProcessor?: SpanProcessor;
}

/** The Worker options tracing adds, and how to flush the spans still buffered. */
export interface WorkerTracing {
  activityInterceptor: ActivityInterceptorsFactory;
  workflowModules: string[];
  sinks: InjectedSinks<OpenTelemetrySinks>;
  /** Exports what is buffered and stops the processor; call once the worker has stopped. */
  shutdown(): Promise<void>;
}

/**
 * The traces URL the OpenTelemetry spec derives from the standard variables: the per-signal
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else OTEL_EXPORTER_OTLP_ENDPOINT plus `/v1/traces`,
 * else the local collector. Called at the entry point with the validated environment.
 */
export function otlpTracesUrl(env: {
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
}): string {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return DEFAULT_OTLP_TRACES_URL;
}

/** Tracing as the validated environment asks for it (LDSYNC_TRACING=otlp); undefined when off. */
export function tracingFromEnv(env: {
  LDSYNC_TRACING?: 'off' | 'otlp' | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
}): TracingOptions | undefined {
  if (env.LDSYNC_TRACING !== 'otlp') return undefined;
  return { tracesUrl: otlpTracesUrl(env), serviceName: env.OTEL_SERVICE_NAME };
}
