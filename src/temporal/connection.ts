// Connections to Temporal from Temporal's own environment configuration (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE, the TOML config file), so
// the same variables work for ldsync, the `temporal` CLI and Temporal Cloud.
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { installTemporalRuntime } from './runtime';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
export const DEFAULT_NAMESPACE = 'default';

export interface TemporalConnectConfig {
  connectionOptions: NativeConnectionOptions & { address: string };
  namespace: string;
}

/** Reads Temporal's environment configuration, with this project's defaults filled in. */
export function temporalConnectConfig(env: NodeJS.ProcessEnv = process.env): TemporalConnectConfig {
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  const config = loadClientConnectConfig({ overrideEnvVars });
  return {
    connectionOptions: {
      ...config.connectionOptions,
      address: config.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS,
    },
    namespace: config.namespace ?? DEFAULT_NAMESPACE,
  };
}

export interface TemporalClient {
  client: Client;
  connection: Connection;
  namespace: string;
  close(): Promise<void>;
}

/** Either an environment to read (the default: this process's) or a config given outright (a local dev server). */
export type TemporalConnectSource = NodeJS.ProcessEnv | TemporalConnectConfig;

function resolveSource(source: TemporalConnectSource): TemporalConnectConfig {
  return isConnectConfig(source) ? source : temporalConnectConfig(source);
}

function isConnectConfig(source: TemporalConnectSource): source is TemporalConnectConfig {
  return typeof source.connectionOptions === 'object' && source.connectionOptions !== null;
}

/** A client for starting, querying and cancelling workflows. The namespace is always passed. */
export async function connectClient(source: TemporalConnectSource = process.env): Promise<TemporalClient> {
  const { connectionOptions, namespace } = resolveSource(source);
  const { address, apiKey, tls, metadata } = connectionOptions;
  const connection = await Connection.connect({ address, apiKey, tls, metadata });
  const client = new Client({ connection, namespace });
  return { client, connection, namespace, close: () => connection.close() };
}

export interface TemporalNativeConnection {
  connection: NativeConnection;
  namespace: string;
  close(): Promise<void>;
}

/** The connection a Worker needs. Installs the Temporal runtime first (it must precede any native connection). */
export async function connectNative(source: TemporalConnectSource = process.env): Promise<TemporalNativeConnection> {
  installTemporalRuntime();
  const { connectionOptions, namespace } = resolveSource(source);
  const connection = await NativeConnection.connect(connectionOptions);
  return { connection, namespace, close: () => connection.close() };
}
