// OpenTelemetry tracing (issue 12, item 5, LDSYNC_TRACING=otlp): the recorded histories still replay
// with the OpenTelemetry workflow interceptors in the workflow code, and a real sync through a traced
// worker exports workflow and activity spans over OTLP/HTTP to a local receiver.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadEnv } from '../src/config';
import {
  createWorkerTracing,
  DEFAULT_OTLP_TRACES_URL,
  OTEL_WORKFLOW_INTERCEPTORS_MODULE,
  tracingFromEnv,
  type WorkerTracing,
} from '../src/temporal/tracing';
import { bundleSyncWorkflows, createSyncWorker, WORKFLOWS_PATH } from '../src/temporal/worker';
import { expectedCounts, startSyncHarness, type SyncHarness } from './support/sync-harness';

// A fixed port outside the ephemeral range (32768-60999) that no other test uses.
const OTLP_PORT = 14318;

const dir = path.join(__dirname, 'fixtures', 'histories');
const workflowIds = JSON.parse(fs.readFileSync(path.join(dir, 'workflow-ids.json'), 'utf8')) as Record<string, string>;

interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  service?: string;
}

/** An OTLP/HTTP traces receiver (the JSON encoding the exporter sends): every POSTed span. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans?: {
            resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
            scopeSpans?: { spans?: { name: string; traceId: string; spanId: string; parentSpanId?: string }[] }[];
          }[];
        };
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) spans.push({ ...s, ...(service ? { service } : {}) });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(OTLP_PORT, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('tracing configuration', () => {
  it('is off by default and follows the standard OTLP endpoint variables when on', () => {
    assert.equal(tracingFromEnv(loadEnv({})), undefined);
    assert.equal(tracingFromEnv(loadEnv({ LDSYNC_TRACING: 'off' })), undefined);
    assert.deepEqual(tracingFromEnv(loadEnv({ LDSYNC_TRACING: 'otlp' })), {
      tracesUrl: DEFAULT_OTLP_TRACES_URL,
      serviceName: undefined,
    });
    assert.equal(
      tracingFromEnv(loadEnv({ LDSYNC_TRACING: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }))
        ?.tracesUrl,
      'http://collector:4318/v1/traces',
    );
    assert.equal(
      tracingFromEnv(
        loadEnv({
          LDSYNC_TRACING: 'otlp',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/v1/traces',
        }),
      )?.tracesUrl,
      'https://traces.example/v1/traces',
    );
    assert.throws(() => loadEnv({ LDSYNC_TRACING: 'jaeger' }), /LDSYNC_TRACING/);
    assert.throws(() => loadEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }), /OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});

describe('workflow replay with the OpenTelemetry workflow interceptors', () => {
  it('replays every recorded history', async () => {
    const tracing = createWorkerTracing({ tracesUrl: 'http://127.0.0.1:9/v1/traces' });
    try {
      const histories = Object.keys(workflowIds).map((file) => ({
        workflowId: workflowIds[file]!,
        history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))),
      }));
      const results = [];
      for await (const result of Worker.runReplayHistories(
        {
          workflowsPath: WORKFLOWS_PATH,
          interceptors: { workflowModules: [OTEL_WORKFLOW_INTERCEPTORS_MODULE] },
          sinks: tracing.sinks,
        },
        histories,
      )) {
        results.push(result);
      }
      assert.equal(results.length, histories.length);
      for (const r of results) assert.equal(r.error, undefined, `${r.workflowId}: ${String(r.error)}`);
    } finally {
      await tracing.shutdown().catch(() => undefined);
    }
  });
});

describe('a sync through a traced worker', () => {
  let h: SyncHarness;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let tracing: WorkerTracing;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;

  before(async () => {
    receiver = await startOtlpReceiver();
    h = await startSyncHarness(
      'tracing',
      { seed: 31, projects: 2, environments: 2, flags: 12, teams: 1 },
      { worker: false },
    );
    tracing = createWorkerTracing({ tracesUrl: receiver.url, serviceName: 'ldsync-test' });
    worker = await createSyncWorker({
      connection: h.stack.nativeConnection,
      namespace: h.stack.namespace,
      taskQueue: h.stack.taskQueue,
      activities: createActivities({ pool: h.pool, cipher: h.cipher }),
      // The way `ldsync dev` and the prebuilt bundle run workflows: a bundle made ahead.
      workflowBundle: await bundleSyncWorkflows(undefined, { tracing: true }),
      tracing,
    });
    running = worker.run();
  });
  after(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await tracing?.shutdown().catch(() => undefined);
    await h?.close();
    await receiver?.close();
  });

  it('exports spans for the workflow and its activities, in one trace', async () => {
    const result = await h.runSync();
    assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
    assert.deepEqual(await h.liveCounts(), expectedCounts(h.sim));
    worker!.shutdown();
    await running;
    await tracing.shutdown(); // flushes the batch processor

    const names = new Set(receiver.spans.map((s) => s.name));
    const workflowSpan = receiver.spans.find((s) => s.name === 'RunWorkflow:syncConnection');
    assert.ok(workflowSpan, `no RunWorkflow:syncConnection span among ${[...names].join(', ')}`);
    const projects = receiver.spans.find((s) => s.name === 'RunActivity:syncProjects');
    assert.ok(projects, `no RunActivity:syncProjects span among ${[...names].join(', ')}`);
    assert.ok(
      receiver.spans.some((s) => s.name === 'StartActivity:syncProjects'),
      `no StartActivity:syncProjects span among ${[...names].join(', ')}`,
    );
    // The activity's span continues the workflow's trace (context propagated in the activity headers),
    // under the workflow's StartActivity span.
    assert.equal(projects.traceId, workflowSpan.traceId);
    const started = receiver.spans.filter((s) => s.name === 'StartActivity:syncProjects').map((s) => s.spanId);
    assert.ok(projects.parentSpanId && started.includes(projects.parentSpanId), 'RunActivity under StartActivity');
    // Child workflows are in the same trace.
    assert.ok(
      receiver.spans.some((s) => s.name === 'RunWorkflow:syncFlagStatuses' && s.traceId === workflowSpan.traceId),
      'the child workflows in the same trace',
    );
    assert.ok(receiver.spans.every((s) => s.service === 'ldsync-test'));
  });
});
