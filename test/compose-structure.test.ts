// The production compose file's structure, read with a YAML parser: the services Temporal's
// production layout needs plus ldsync's, pinned images, health checks, the order they start in, and
// settings that must agree across services (credentials, namespace, task queue, search attributes).
// The Temporal images cannot run on CI machines (no image registry); scripts/docker-smoke.sh runs the
// ldsync image and the job scripts against a dev server instead.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../src/config';
import { DEFAULT_TASK_QUEUE, searchAttributes } from '../src/shared';

interface Healthcheck {
  test?: string[] | string;
  disable?: boolean;
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

interface Service {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  profiles?: string[];
  stop_grace_period?: string;
  container_name?: string;
}

const COMPOSE_FILE = path.join(PROJECT_ROOT, 'docker-compose.yml');
const compose = parse(fs.readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;

/** Long-running services: a health check each, and dependants wait for `service_healthy`. */
const SERVERS = ['postgres', 'temporal', 'temporal-ui', 'worker'];
/** One-shot jobs: dependants wait for `service_completed_successfully`. */
const JOBS = ['temporal-schema', 'temporal-namespace', 'temporal-search-attributes', 'ldsync-db', 'migrate'];
/** Not started by `docker compose up` (profile `cli`): `docker compose run --rm ldsync …`. */
const TOOLS = ['ldsync'];
const LDSYNC_IMAGE_SERVICES = ['migrate', 'worker', 'ldsync'];

function service(name: string): Service {
  const found = services[name];
  assert.ok(found, `service ${name} is missing`);
  return found;
}

function env(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([k, v]) => [k, String(v)]));
}

/** `${VAR:-default}` → default, so settings can be compared as compose resolves them by default. */
function withDefaults(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
}

function seconds(duration: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(duration);
  assert.ok(match, `unsupported duration ${duration}`);
  const n = Number(match[1]);
  return match[2] === 'ms' ? n / 1000 : match[2] === 'm' ? n * 60 : n;
}

/** The host path behind a container path of a bind mount (`./deploy/x:/deploy:ro`). */
function hostPathOf(name: string, containerPath: string): string {
  for (const volume of service(name).volumes ?? []) {
    const [source, target] = volume.split(':');
    if (!source?.startsWith('./') || !target) continue;
    if (containerPath === target || containerPath.startsWith(`${target}/`)) {
      return path.join(PROJECT_ROOT, source, containerPath.slice(target.length));
    }
  }
  assert.fail(`${name}: ${containerPath} is not on a bind mount`);
}

test('every service of the production layout is there, and nothing else', () => {
  assert.deepEqual(Object.keys(services).sort(), [...SERVERS, ...JOBS, ...TOOLS].sort());
  assert.deepEqual(service('ldsync').profiles, ['cli']);
  for (const name of [...SERVERS, ...JOBS]) assert.equal(service(name).profiles, undefined, `${name} starts with up`);
});

test('images are pinned production images; the ldsync image is built from this Dockerfile', () => {
  const expected: Record<string, RegExp> = {
    postgres: /^postgres:\d+\.\d+$/,
    'ldsync-db': /^postgres:\d+\.\d+$/,
    'temporal-schema': /^temporalio\/admin-tools:\d+\.\d+\.\d+$/,
    'temporal-namespace': /^temporalio\/admin-tools:\d+\.\d+\.\d+$/,
    'temporal-search-attributes': /^temporalio\/admin-tools:\d+\.\d+\.\d+$/,
    temporal: /^temporalio\/server:\d+\.\d+\.\d+$/,
    'temporal-ui': /^temporalio\/ui:\d+\.\d+\.\d+$/,
  };
  for (const [name, pattern] of Object.entries(expected)) {
    assert.match(service(name).image ?? '', pattern, `${name} runs a pinned image`);
  }
  // One Postgres version for the server and its psql job; admin-tools matches the server it migrates.
  assert.equal(service('ldsync-db').image, service('postgres').image);
  const serverVersion = service('temporal').image!.split(':')[1];
  for (const job of ['temporal-schema', 'temporal-namespace', 'temporal-search-attributes']) {
    assert.equal(service(job).image!.split(':')[1], serverVersion, `${job} matches the server's version`);
  }
  for (const name of Object.keys(services)) {
    const image = service(name).image ?? '';
    assert.doesNotMatch(image, /auto-setup|temporalio\/temporal:|:latest$/, `${name}: no dev or deprecated image`);
  }

  const dockerfile = fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
  const baseDefault = /^ARG BASE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
  assert.equal(baseDefault, 'node:20-bookworm-slim');
  for (const name of LDSYNC_IMAGE_SERVICES) {
    const s = service(name);
    assert.equal(s.image, service('worker').image, `${name} runs the worker's image`);
    assert.equal(s.build?.context, '.');
    assert.equal(
      withDefaults(s.build?.args?.BASE_IMAGE ?? ''),
      baseDefault,
      `${name}: BASE_IMAGE defaults as in the Dockerfile`,
    );
  }
});

test('the Dockerfile builds with npm run build and runs compiled code under tini as a non-root user', () => {
  const dockerfile = fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  assert.equal(stages.length, 2, 'a build stage and a runtime stage');
  const [build, runtime] = stages as [string, string];
  assert.match(build, /RUN npm run build/);
  assert.match(build, /npm prune --omit=dev/);
  assert.match(runtime, /apt-get install[^\n]*ca-certificates[^\n]*tini/);
  assert.match(runtime, /^USER (?!root)\S+/m);
  assert.match(runtime, /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "dist\/src\/main\.js"\]$/m);
  assert.match(runtime, /^HEALTHCHECK [\s\S]*dist\/src\/temporal\/worker-probe\.js/m);
  assert.doesNotMatch(runtime, /tsx|bin\/ldsync\.js/, 'production runs no tsx');
});

test('long-running services have health checks; one-shot jobs are waited for until they exit 0', () => {
  for (const name of SERVERS) {
    const check = service(name).healthcheck;
    assert.ok(check && !check.disable && check.test && check.test.length > 1, `${name} has a health check`);
    assert.ok(check.interval && check.timeout && check.retries, `${name}: interval, timeout and retries`);
    assert.match(service(name).restart ?? '', /^(unless-stopped|always)$/, `${name} restarts`);
  }
  for (const name of JOBS) {
    assert.match(service(name).restart ?? 'no', /^(no|on-failure(:\d+)?)$/, `${name} is not restarted after success`);
  }
  assert.deepEqual(service('worker').healthcheck?.test, ['CMD', 'node', 'dist/src/temporal/worker-probe.js']);
  assert.equal(service('migrate').healthcheck?.disable, true, 'the worker probe does not apply to the migrate job');
});

test('dependency order: each service waits for what it needs, with the right condition', () => {
  const expected: Record<string, Record<string, string>> = {
    postgres: {},
    'temporal-schema': { postgres: 'service_healthy' },
    temporal: { 'temporal-schema': 'service_completed_successfully' },
    'temporal-namespace': { temporal: 'service_healthy' },
    'temporal-search-attributes': { 'temporal-namespace': 'service_completed_successfully' },
    'temporal-ui': { temporal: 'service_healthy' },
    'ldsync-db': { postgres: 'service_healthy' },
    migrate: { 'ldsync-db': 'service_completed_successfully' },
    worker: {
      migrate: 'service_completed_successfully',
      temporal: 'service_healthy',
      'temporal-search-attributes': 'service_completed_successfully',
    },
    ldsync: { migrate: 'service_completed_successfully', temporal: 'service_healthy' },
  };
  for (const [name, deps] of Object.entries(expected)) {
    const actual = Object.fromEntries(
      Object.entries(service(name).depends_on ?? {}).map(([dep, { condition }]) => [dep, condition]),
    );
    assert.deepEqual(actual, deps, `${name} depends on`);
    for (const [dep, condition] of Object.entries(actual)) {
      const want = JOBS.includes(dep) ? 'service_completed_successfully' : 'service_healthy';
      assert.equal(condition, want, `${name} → ${dep}`);
    }
  }

  // The order compose starts things in: acyclic, and the worker comes after everything it needs.
  const order: string[] = [];
  const visit = (name: string, trail: string[]): void => {
    assert.ok(!trail.includes(name), `dependency cycle: ${[...trail, name].join(' → ')}`);
    if (order.includes(name)) return;
    for (const dep of Object.keys(service(name).depends_on ?? {})) visit(dep, [...trail, name]);
    order.push(name);
  };
  for (const name of Object.keys(services)) visit(name, []);
  const before = (a: string, b: string) => assert.ok(order.indexOf(a) < order.indexOf(b), `${a} before ${b}`);
  before('temporal-schema', 'temporal');
  before('temporal-namespace', 'temporal-search-attributes');
  before('temporal-search-attributes', 'worker');
  before('migrate', 'worker');
  before('ldsync-db', 'migrate');
});

test('environment: one database, namespace, task queue and set of credentials everywhere', () => {
  const temporal = env('temporal');
  assert.equal(temporal.DB, 'postgres12');
  assert.equal(temporal.POSTGRES_SEEDS, 'postgres');
  assert.equal(temporal.BIND_ON_IP, '0.0.0.0');
  const schema = env('temporal-schema');
  assert.equal(schema.POSTGRES_SEEDS, temporal.POSTGRES_SEEDS);
  assert.equal(schema.POSTGRES_USER, temporal.POSTGRES_USER);
  assert.equal(schema.SQL_PASSWORD, temporal.POSTGRES_PWD, 'the schema job and the server use one password');
  assert.equal(env('postgres').POSTGRES_USER, temporal.POSTGRES_USER);
  assert.equal(env('postgres').POSTGRES_PASSWORD, temporal.POSTGRES_PWD);

  // The dynamic config file the server is told to read is the one mounted from deploy/.
  const dynamicConfig = hostPathOf('temporal', temporal.DYNAMIC_CONFIG_FILE_PATH!);
  assert.ok(fs.existsSync(dynamicConfig), `${dynamicConfig} exists`);
  const dynamic = parse(fs.readFileSync(dynamicConfig, 'utf8')) as Record<string, Array<{ value: unknown }>>;
  for (const [key, entries] of Object.entries(dynamic)) {
    assert.ok(Array.isArray(entries) && entries.every((e) => 'value' in e), `${key}: a list of {value, constraints}`);
  }

  const ldsyncDb = env('ldsync-db');
  assert.equal(ldsyncDb.PGHOST, 'postgres');
  assert.equal(ldsyncDb.PGPASSWORD, env('postgres').POSTGRES_PASSWORD);
  for (const name of LDSYNC_IMAGE_SERVICES) {
    const e = env(name);
    const url = new URL(withDefaults(e.DATABASE_URL!));
    assert.equal(url.hostname, 'postgres', `${name}: DATABASE_URL`);
    assert.equal(url.pathname, `/${ldsyncDb.LDSYNC_DB_NAME}`);
    assert.equal(url.username, ldsyncDb.LDSYNC_DB_USER);
    assert.equal(url.password, withDefaults(ldsyncDb.LDSYNC_DB_PASSWORD!), `${name}: the password ldsync-db sets`);
    assert.equal(e.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(e.TEMPORAL_NAMESPACE, env('temporal-namespace').TEMPORAL_NAMESPACE);
    assert.equal(e.LDSYNC_TASK_QUEUE, DEFAULT_TASK_QUEUE);
    assert.match(e.LDSYNC_ENCRYPTION_KEY!, /^\$\{LDSYNC_ENCRYPTION_KEY:\?/, `${name}: the key must be given`);
  }
  for (const job of ['temporal-namespace', 'temporal-search-attributes', 'temporal-ui']) {
    assert.equal(env(job).TEMPORAL_ADDRESS, 'temporal:7233', `${job} talks to the server`);
  }
  assert.equal(env('temporal-search-attributes').TEMPORAL_NAMESPACE, env('temporal-namespace').TEMPORAL_NAMESPACE);
});

test('job scripts exist where they are mounted and register the search attributes the code sets', () => {
  for (const name of [...JOBS, 'temporal-ui', 'temporal']) {
    const entrypoint = service(name).entrypoint;
    if (!entrypoint) continue;
    const script = entrypoint.find((part) => part.endsWith('.sh'));
    assert.ok(script, `${name} runs a script`);
    assert.ok(fs.existsSync(hostPathOf(name, script)), `${name}: ${script} exists in the repository`);
  }
  const register = fs.readFileSync(
    hostPathOf('temporal-search-attributes', '/deploy/register-search-attributes.sh'),
    'utf8',
  );
  const names = /for name in ([^;]+);/.exec(register)?.[1]?.trim().split(/\s+/);
  assert.deepEqual(
    names?.sort(),
    Object.values(searchAttributes)
      .map((key) => key.name)
      .sort(),
  );
  assert.match(register, /--type Keyword/);
  assert.match(register, /already exists/, 'an attribute that exists is not an error');
  assert.match(register, /--namespace/, 'SQL visibility needs the namespace');
});

test('the worker scales with --scale worker=N and stops within its grace period', () => {
  const worker = service('worker');
  assert.equal(worker.container_name, undefined, 'a fixed container name would stop --scale');
  assert.equal(worker.ports, undefined, 'host ports would collide between replicas');
  assert.deepEqual(worker.command, ['worker']);
  // The worker gives in-flight activities 10 s (shutdownGraceTime); SIGKILL must come well after.
  const workerSource = fs.readFileSync(path.join(PROJECT_ROOT, 'src/temporal/worker.ts'), 'utf8');
  const grace = /shutdownGraceTime: '(\d+s)'/.exec(workerSource)?.[1];
  assert.ok(grace, 'worker.ts sets shutdownGraceTime');
  assert.ok(seconds(worker.stop_grace_period ?? '10s') >= seconds(grace) + 10, 'stop_grace_period > grace + 10 s');
  // Named volumes are declared; bind mounts point into the repository.
  for (const [name, s] of Object.entries(services)) {
    for (const volume of s.volumes ?? []) {
      const source = volume.split(':')[0]!;
      if (source.startsWith('./')) assert.ok(fs.existsSync(path.join(PROJECT_ROOT, source)), `${name}: ${source}`);
      else assert.ok(compose.volumes && source in compose.volumes, `${name}: volume ${source} is declared`);
    }
  }
});
