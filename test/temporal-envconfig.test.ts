// Temporal Cloud and TLS without code changes (issue 12, item 4): each TEMPORAL_* setting of
// Temporal's environment configuration (and a TOML profile) resolves into the connection the client
// and the worker use (src/temporal/connection.ts), and DATABASE_URL's sslmode makes the pool speak TLS
// to Postgres. The Postgres side is checked against a local server that speaks just enough of the
// protocol to see whether, and how, the pool asks for TLS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { createPool } from '../src/db';
import {
  connectClient,
  connectNative,
  DEFAULT_NAMESPACE,
  DEFAULT_TEMPORAL_ADDRESS,
  temporalConnectConfig,
} from '../src/temporal/connection';
import { testStack, type TestStack } from './support/stack';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldsync-envconfig-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An environment with no HOME, so no developer's ~/.config/temporalio/temporal.toml is read. */
const env = (vars: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...vars });

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

type TlsOptions = Exclude<
  ReturnType<typeof temporalConnectConfig>['connectionOptions']['tls'],
  boolean | null | undefined
>;

/** envconfig hands certificates over as bytes (Uint8Array). */
const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8'));

function tlsOf(vars: Record<string, string>): TlsOptions {
  const { tls } = temporalConnectConfig(env(vars)).connectionOptions;
  assert.equal(typeof tls, 'object', `TLS options for ${JSON.stringify(Object.keys(vars))}`);
  return tls as TlsOptions;
}

describe('Temporal connection settings from the environment', () => {
  const certFile = write('client.pem', '-----BEGIN CERTIFICATE-----\nclient-cert\n-----END CERTIFICATE-----\n');
  const keyFile = write('client.key', '-----BEGIN PRIVATE KEY-----\nclient-key\n-----END PRIVATE KEY-----\n');
  const caFile = write('ca.pem', '-----BEGIN CERTIFICATE-----\nserver-ca\n-----END CERTIFICATE-----\n');

  it('nothing set: localhost:7233, namespace default, no API key, no TLS', () => {
    const config = temporalConnectConfig(env());
    assert.equal(config.connectionOptions.address, DEFAULT_TEMPORAL_ADDRESS);
    assert.equal(DEFAULT_TEMPORAL_ADDRESS, 'localhost:7233');
    assert.equal(config.namespace, DEFAULT_NAMESPACE);
    assert.equal(DEFAULT_NAMESPACE, 'default');
    assert.equal(config.connectionOptions.apiKey, undefined);
    assert.equal(config.connectionOptions.tls, undefined);
  });

  it('TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE (empty values count as unset)', () => {
    const config = temporalConnectConfig(
      env({ TEMPORAL_ADDRESS: 'prod.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'prod.a1b2c' }),
    );
    assert.equal(config.connectionOptions.address, 'prod.a1b2c.tmprl.cloud:7233');
    assert.equal(config.namespace, 'prod.a1b2c');
    const empty = temporalConnectConfig(env({ TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '' }));
    assert.equal(empty.connectionOptions.address, DEFAULT_TEMPORAL_ADDRESS);
    assert.equal(empty.namespace, DEFAULT_NAMESPACE);
  });

  it('TEMPORAL_API_KEY: sent as the API key, and TLS turns on by itself (Temporal Cloud)', () => {
    const config = temporalConnectConfig(env({ TEMPORAL_API_KEY: 'key-123' }));
    assert.equal(config.connectionOptions.apiKey, 'key-123');
    assert.equal(config.connectionOptions.tls, true);
    // TEMPORAL_TLS=false wins (an API key behind a TLS-terminating proxy).
    const off = temporalConnectConfig(env({ TEMPORAL_API_KEY: 'key-123', TEMPORAL_TLS: 'false' }));
    assert.equal(off.connectionOptions.tls, false);
  });

  it('TEMPORAL_TLS=true: TLS with the system roots', () => {
    const t = tlsOf({ TEMPORAL_TLS: 'true' });
    assert.equal(t.clientCertPair, undefined);
    assert.equal(t.serverRootCACertificate, undefined);
  });

  it('mTLS: TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH are read into the client certificate pair', () => {
    const t = tlsOf({ TEMPORAL_TLS_CLIENT_CERT_PATH: certFile, TEMPORAL_TLS_CLIENT_KEY_PATH: keyFile });
    assert.equal(text(t.clientCertPair?.crt), fs.readFileSync(certFile, 'utf8'));
    assert.equal(text(t.clientCertPair?.key), fs.readFileSync(keyFile, 'utf8'));
  });

  it('mTLS from data: TEMPORAL_TLS_CLIENT_CERT_DATA / _KEY_DATA (e.g. from a secret store)', () => {
    const t = tlsOf({ TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT-DATA', TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY-DATA' });
    assert.equal(text(t.clientCertPair?.crt), 'CERT-DATA');
    assert.equal(text(t.clientCertPair?.key), 'KEY-DATA');
    assert.throws(
      () => temporalConnectConfig(env({ TEMPORAL_TLS_CLIENT_CERT_PATH: certFile, TEMPORAL_TLS_CLIENT_CERT_DATA: 'x' })),
      /path|data/i,
      'a path and data for one item is an error',
    );
  });

  it('self-hosted TLS: TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_TLS_SERVER_NAME', () => {
    const t = tlsOf({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: caFile, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' });
    assert.equal(text(t.serverRootCACertificate), fs.readFileSync(caFile, 'utf8'));
    assert.equal(t.serverNameOverride, 'temporal.internal');
  });

  it('TEMPORAL_GRPC_META_*: extra gRPC headers', () => {
    const config = temporalConnectConfig(env({ TEMPORAL_GRPC_META_TENANT: 'ops' }));
    assert.deepEqual(config.connectionOptions.metadata, { tenant: 'ops' });
  });

  describe('TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE', () => {
    const toml = write(
      'temporal.toml',
      [
        '[profile.default]',
        'address = "localhost:7233"',
        'namespace = "default"',
        '',
        '[profile.cloud]',
        'address = "prod.a1b2c.tmprl.cloud:7233"',
        'namespace = "prod.a1b2c"',
        'api_key = "file-key"',
        '',
        '[profile.mtls]',
        'address = "prod.a1b2c.tmprl.cloud:7233"',
        'namespace = "prod.a1b2c"',
        '[profile.mtls.tls]',
        `client_cert_path = "${certFile}"`,
        `client_key_path = "${keyFile}"`,
        'server_name = "prod.a1b2c.tmprl.cloud"',
        '',
      ].join('\n'),
    );

    it('without TEMPORAL_PROFILE: the file\'s "default" profile', () => {
      const config = temporalConnectConfig(env({ TEMPORAL_CONFIG_FILE: toml }));
      assert.equal(config.connectionOptions.address, 'localhost:7233');
      assert.equal(config.namespace, 'default');
      assert.equal(config.connectionOptions.apiKey, undefined);
    });

    it('TEMPORAL_PROFILE=cloud: address, namespace and API key from the file, TLS on', () => {
      const config = temporalConnectConfig(env({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud' }));
      assert.equal(config.connectionOptions.address, 'prod.a1b2c.tmprl.cloud:7233');
      assert.equal(config.namespace, 'prod.a1b2c');
      assert.equal(config.connectionOptions.apiKey, 'file-key');
      assert.equal(config.connectionOptions.tls, true);
    });

    it('TEMPORAL_PROFILE=mtls: the client certificate pair and server name from the [profile.mtls.tls] table', () => {
      const t = tlsOf({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'mtls' });
      assert.equal(text(t.clientCertPair?.crt), fs.readFileSync(certFile, 'utf8'));
      assert.equal(text(t.clientCertPair?.key), fs.readFileSync(keyFile, 'utf8'));
      assert.equal(t.serverNameOverride, 'prod.a1b2c.tmprl.cloud');
    });

    it('the environment wins over the file', () => {
      const config = temporalConnectConfig(
        env({
          TEMPORAL_CONFIG_FILE: toml,
          TEMPORAL_PROFILE: 'cloud',
          TEMPORAL_NAMESPACE: 'staging.a1b2c',
          TEMPORAL_API_KEY: 'env-key',
        }),
      );
      assert.equal(config.connectionOptions.address, 'prod.a1b2c.tmprl.cloud:7233');
      assert.equal(config.namespace, 'staging.a1b2c');
      assert.equal(config.connectionOptions.apiKey, 'env-key');
    });

    it('a profile that the file does not have is an error, not a silent default', () => {
      assert.throws(() => temporalConnectConfig(env({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'nope' })), /nope/);
    });

    it('the default file: $XDG_CONFIG_HOME/temporalio/temporal.toml', () => {
      const xdg = path.join(dir, 'xdg');
      fs.mkdirSync(path.join(xdg, 'temporalio'), { recursive: true });
      fs.copyFileSync(toml, path.join(xdg, 'temporalio', 'temporal.toml'));
      const config = temporalConnectConfig(env({ XDG_CONFIG_HOME: xdg, TEMPORAL_PROFILE: 'cloud' }));
      assert.equal(config.namespace, 'prod.a1b2c');
    });
  });

  describe('against a running Temporal server', () => {
    let stack: TestStack;
    before(async () => {
      stack = await testStack('envconfig');
    });
    after(async () => {
      await stack?.cleanup();
    });

    it('the client and the worker connection both connect with what TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE say', async () => {
      const vars = env({ TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_NAMESPACE: stack.namespace });
      const client = await connectClient(vars);
      try {
        assert.equal(client.namespace, stack.namespace);
        const ns = await client.connection.workflowService.describeNamespace({ namespace: stack.namespace });
        assert.equal(ns.namespaceInfo?.name, stack.namespace);
      } finally {
        await client.close();
      }
      const native = await connectNative(vars);
      try {
        assert.equal(native.namespace, stack.namespace);
      } finally {
        await native.close();
      }
    });
  });
});

// ---------------------------------------------------------------- Postgres TLS through DATABASE_URL

const SSL_REQUEST_CODE = 80877103;
const PROTOCOL_3 = 196608;

interface Observed {
  /** the first message's code: SSL_REQUEST_CODE, or PROTOCOL_3 for a plain startup message */
  first?: number;
  /** the startup message's parameters, read inside TLS when TLS was negotiated */
  startup?: Record<string, string>;
  tls?: boolean;
}

/**
 * A TCP server that plays the first steps of a Postgres server: it answers an SSLRequest with `S`
 * (then TLS with the given certificate) or `N`, records the startup message, and hangs up.
 */
async function fakePostgres(options: { acceptTls: boolean; key?: Buffer; cert?: Buffer }) {
  const seen: Observed[] = [];
  const readStartup = (socket: net.Socket | tls.TLSSocket, record: Observed) => {
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 8 || buffer.length < buffer.readInt32BE(0)) return;
      const length = buffer.readInt32BE(0);
      record.first ??= buffer.readInt32BE(4);
      const parts = buffer.subarray(8, length).toString('utf8').split('\0');
      record.startup = {};
      for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i]) record.startup[parts[i]!] = parts[i + 1]!;
      socket.destroy();
    });
    socket.on('error', () => undefined);
  };
  const server = net.createServer((socket) => {
    const record: Observed = {};
    seen.push(record);
    socket.on('error', () => undefined);
    socket.once('data', (chunk: Buffer) => {
      const code = chunk.length >= 8 ? chunk.readInt32BE(4) : -1;
      if (code !== SSL_REQUEST_CODE) {
        socket.unshift(chunk);
        readStartup(socket, record);
        return;
      }
      record.first = SSL_REQUEST_CODE;
      if (!options.acceptTls) {
        socket.end('N');
        return;
      }
      socket.write('S');
      const secure = new tls.TLSSocket(socket, { isServer: true, key: options.key, cert: options.cert });
      secure.on('secure', () => (record.tls = true));
      readStartup(secure, record);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: (query: string) => `postgres://ldsync:secret@localhost:${port}/ldsync${query}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Runs one query through createPool (which must fail: the fake server never answers) and returns its error. */
async function attempt(url: string): Promise<Error> {
  const pool = createPool(url, { max: 1 });
  try {
    await pool.query('SELECT 1');
    assert.fail('the fake server cannot answer a query');
  } catch (err) {
    return err as Error;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('Postgres TLS through DATABASE_URL (createPool)', () => {
  let certs: { ca: string; key: Buffer; cert: Buffer } | undefined;
  before(() => {
    if (!haveOpenssl()) return;
    // A CA and a server certificate for localhost, signed by it.
    const p = (name: string) => path.join(dir, name);
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    run(
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.crt')].concat([
        '-days',
        '1',
        '-subj',
        '/CN=ldsync test CA',
      ]),
    );
    run(
      ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr')].concat([
        '-subj',
        '/CN=localhost',
      ]),
    );
    fs.writeFileSync(p('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    run(
      ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial'].concat([
        '-out',
        p('server.crt'),
        '-days',
        '1',
        '-extfile',
        p('ext.cnf'),
      ]),
    );
    certs = { ca: p('ca.crt'), key: fs.readFileSync(p('server.key')), cert: fs.readFileSync(p('server.crt')) };
  });

  it('no sslmode: a plain startup message, no TLS asked for', async () => {
    const pg = await fakePostgres({ acceptTls: false });
    try {
      await attempt(pg.url(''));
      assert.equal(pg.seen[0]?.first, PROTOCOL_3);
      assert.equal(pg.seen[0]?.startup?.user, 'ldsync');
      await attempt(pg.url('?sslmode=disable'));
      assert.equal(pg.seen[1]?.first, PROTOCOL_3);
    } finally {
      await pg.close();
    }
  });

  it('sslmode=require: the pool asks for TLS first, and refuses a server without it', async () => {
    const pg = await fakePostgres({ acceptTls: false });
    try {
      const err = await attempt(pg.url('?sslmode=require'));
      assert.equal(pg.seen[0]?.first, SSL_REQUEST_CODE);
      assert.equal(pg.seen[0]?.startup, undefined, 'nothing sent in the clear');
      assert.match(err.message, /does not support SSL/i);
    } finally {
      await pg.close();
    }
  });

  it('sslmode=verify-full&sslrootcert=<CA file>: TLS, the certificate checked against that CA', async (t) => {
    if (!certs) return t.skip('no openssl to make certificates');
    const pg = await fakePostgres({ acceptTls: true, key: certs.key, cert: certs.cert });
    try {
      await attempt(pg.url(`?sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.ca)}`));
      assert.equal(pg.seen[0]?.first, SSL_REQUEST_CODE);
      assert.equal(pg.seen[0]?.tls, true, 'TLS handshake done');
      assert.equal(pg.seen[0]?.startup?.user, 'ldsync', 'the startup message came through TLS');
    } finally {
      await pg.close();
    }
  });

  it('pg 8 treats sslmode=require as verify-full: an unknown CA is refused; no-verify or uselibpqcompat skip the check', async (t) => {
    if (!certs) return t.skip('no openssl to make certificates');
    const pg = await fakePostgres({ acceptTls: true, key: certs.key, cert: certs.cert });
    try {
      const err = await attempt(pg.url('?sslmode=require'));
      assert.match(err.message, /self[- ]signed|unable to verify|certificate/i);
      assert.equal(pg.seen[0]?.startup, undefined, 'nothing sent to an unverified server');
      for (const query of ['?sslmode=no-verify', '?uselibpqcompat=true&sslmode=require']) {
        const before = pg.seen.length;
        await attempt(pg.url(query));
        const record = pg.seen[before];
        assert.equal(record?.tls, true, `${query}: TLS`);
        assert.equal(record?.startup?.user, 'ldsync', `${query}: connected without verifying`);
      }
    } finally {
      await pg.close();
    }
  });
});
