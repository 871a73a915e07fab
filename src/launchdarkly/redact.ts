// Removes secrets from LaunchDarkly JSON before anything leaves the client (invariant 1 of
// DESIGN.md). Environment payloads carry the server-side SDK key (`apiKey`, `sdk-…`), the mobile
// key (`mobileKey`, `mob-…`) and PubNub channel/cipher data, and links to the key endpoints; we
// drop those by name, drop any field whose name looks secret, and drop any string that looks like
// an SDK/mobile key or equals a caller-supplied secret (the access token) wherever it appears.

/** Field names removed wherever they appear (compared case-insensitively). */
const SECRET_FIELD_NAMES = new Set(['apikey', 'mobilekey', '_pubnub', 'pubnub', 'sdkkey', 'clientsecret']);

/** Field names that look secret; removed unless the value is a plain boolean/number (flags like `serviceToken: true`). */
const SECRET_LOOKING_NAME = /secret|passw(or)?d|token|cipher|credential|private.?key|signing.?key/i;

/** Values that are LaunchDarkly SDK or mobile keys, or API tokens, whatever the field is called. */
const SECRET_LOOKING_VALUE = /^(sdk|mob|api)-[0-9a-f]{8}-?[0-9a-f]{4}/i;

export interface RedactOptions {
  /** Exact strings that must never appear (e.g. the access token); a string containing one is dropped. */
  secrets?: readonly string[];
}

function isSecretField(name: string, value: unknown): boolean {
  if (SECRET_FIELD_NAMES.has(name.toLowerCase())) return true;
  return SECRET_LOOKING_NAME.test(name) && typeof value !== 'boolean' && typeof value !== 'number';
}

function isSecretString(value: string, secrets: readonly string[]): boolean {
  return SECRET_LOOKING_VALUE.test(value) || secrets.some((s) => s.length > 0 && value.includes(s));
}

/**
 * A deep copy of `value` (plain JSON) without secret fields or secret-looking strings.
 * Array elements that are secrets are dropped too, so arrays may shrink.
 */
export function redactSecrets<T>(value: T, options: RedactOptions = {}): T {
  const secrets = options.secrets ?? [];
  // Most items (flags, statuses) hold no secret: a walk that allocates nothing finds that out, and
  // only an item that has one is copied field by field. The result is a copy either way.
  if (!containsSecret(value, secrets)) return structuredCopy(value);
  const out = redact(value, secrets);
  return (out === DROP ? undefined : out) as T;
}

function containsSecret(value: unknown, secrets: readonly string[]): boolean {
  if (typeof value === 'string') return isSecretString(value, secrets);
  if (Array.isArray(value)) return value.some((v) => containsSecret(v, secrets));
  if (value !== null && typeof value === 'object') {
    for (const k in value) {
      const v = (value as Record<string, unknown>)[k];
      if (isSecretField(k, v) || containsSecret(v, secrets)) return true;
    }
  }
  return false;
}

/** A deep copy of plain JSON. */
function structuredCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(structuredCopy) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k in value) out[k] = structuredCopy((value as Record<string, unknown>)[k]);
    return out as T;
  }
  return value;
}

const DROP = Symbol('drop');

function redact(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return isSecretString(value, secrets) ? DROP : value;
  if (Array.isArray(value)) {
    return value.map((v) => redact(v, secrets)).filter((v) => v !== DROP);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (isSecretField(k, v)) continue;
      const r = redact(v, secrets);
      if (r !== DROP) out[k] = r;
    }
    return out;
  }
  return value;
}

/** Replaces every occurrence of each secret in a free text (error messages) with `[redacted]`. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('[redacted]');
  return out;
}
