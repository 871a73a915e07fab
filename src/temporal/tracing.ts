// Optional OpenTelemetry tracing of the worker (LDSYNC_TRACING=otlp), with
// @temporalio/interceptors-opentelemetry 1.24.0 on OpenTelemetry JS 1.x: the package's v1 line,
// whose workflow interceptors replay the recorded histories (test/tracing.test.ts). The -v2
// package targets OTel JS 2.x, has no 1.24 release and writes histories v1 cannot replay.
//
// Off (the default) nothing here runs: the worker's options and its workflow bundle are as without
// this file. On, the worker gets
//   - the activity interceptors (a `RunActivity:<type>` span per attempt, trace ids on log lines),
//   - the workflow interceptors module (`RunWorkflow:<type>`, `StartActivity:<type>`, …, made inside
//     the workflow sandbox), which must also be in the workflow bundle,
//   - the `exporter` sink that carries the workflow spans out of the sandbox (makeWorkflowExporter),
// and every span goes through one BatchSpanProcessor to an OTLP/HTTP traces endpoint (JSON
// encoding, which collectors accept on 4318 as they do protobuf).
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { OTEL_WORKFLOW_INTERCEPTORS_MODULE, type TracingOptions, type WorkerTracing } from './tracing-options';

export * from './tracing-options';

export function createWorkerTracing(opts: TracingOptions): WorkerTracing {
  const resource = new Resource({ 'service.name': opts.serviceName ?? 'ldsync-worker' });
  const processor = opts.spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter({ url: opts.tracesUrl }));
  // This worker's own tracer (activity spans), not the process-global one, so nothing else in the
  // process starts exporting. The W3C propagator and the context manager are global (what the
  // OpenTelemetry Node SDK would register): the activity interceptor reads the workflow's trace
  // context from the activity headers through the one and makes it the parent through the other.
  // A second registration (a second worker in one process) is a no-op of the API.
  const provider = new BasicTracerProvider({ resource });
  provider.addSpanProcessor(processor);
  const tracer = provider.getTracer('@temporalio/interceptor-activity');
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return {
    activityInterceptor: (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
    workflowModules: [OTEL_WORKFLOW_INTERCEPTORS_MODULE],
    sinks: { exporter: makeWorkflowExporter(processor, resource) },
    shutdown: () => provider.shutdown(),
  };
}
