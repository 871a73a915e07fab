// Encrypts stored LaunchDarkly API tokens with AES-256-GCM under LDSYNC_ENCRYPTION_KEY.
//
// Stored form: `v1:<fingerprint>:<iv>:<tag>:<ciphertext>` (base64url parts). The fingerprint names the
// key without revealing it, so a wrong key is reported as such rather than as a bare crypto error.
// The connection id is bound in as associated data: a ciphertext copied to another connection's row
// fails to decrypt. The key itself is never logged or put in an error message.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const FORMAT_VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^(?:[A-Za-z0-9+/]{43}=?|[A-Za-z0-9_-]{43}=?)$/;

/** The key is missing or malformed. */
export class EncryptionKeyError extends Error {
  override name = 'EncryptionKeyError';
}

/** A stored token cannot be decrypted: wrong key, altered ciphertext or unknown format. */
export class TokenDecryptionError extends Error {
  override name = 'TokenDecryptionError';
  constructor(
    message: string,
    readonly reason: 'wrong_key' | 'tampered' | 'unsupported_format',
  ) {
    super(message);
  }
}

/** A new random key, as 64 hex characters (what `ldsync dev` writes to its key file). */
export function generateEncryptionKey(): string {
  return randomBytes(KEY_BYTES).toString('hex');
}

/** Accepts 64 hex characters or base64 (standard or url-safe) of 32 bytes, surrounding spaces ignored. */
export function parseEncryptionKey(text: string, source = 'LDSYNC_ENCRYPTION_KEY'): Buffer {
  const trimmed = text.trim();
  if (HEX_KEY.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (BASE64_KEY.test(trimmed)) {
    const key = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  throw new EncryptionKeyError(
    `${source} must be 64 hex characters or the base64 of 32 bytes (it has ${trimmed.length} characters); ` +
      'generate one with `openssl rand -hex 32`',
  );
}

/** A short, stable, non-secret name for a key: the first 4 bytes of an HMAC under the key. */
export function keyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('ldsync token key fingerprint').digest('hex').slice(0, 8);
}

export class TokenCipher {
  readonly fingerprint: string;
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new EncryptionKeyError(`encryption key must be ${KEY_BYTES} bytes`);
    this.#key = Buffer.from(key);
    this.fingerprint = keyFingerprint(this.#key);
  }

  static fromKeyText(text: string, source?: string): TokenCipher {
    return new TokenCipher(parseEncryptionKey(text, source));
  }

  /** `context` (the connection id) must be given again, unchanged, to decrypt. */
  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(this.#associatedData(this.fingerprint, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [FORMAT_VERSION, this.fingerprint, iv, tag, ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join(':');
  }

  decrypt(stored: string, context: string): string {
    const parts = stored.split(':');
    const [version, fingerprint, iv, tag, ciphertext] = parts;
    if (parts.length !== 5 || version !== FORMAT_VERSION || !fingerprint || !iv || !tag || ciphertext === undefined) {
      throw new TokenDecryptionError(
        `stored token has an unsupported format (expected ${FORMAT_VERSION}); add the connection again`,
        'unsupported_format',
      );
    }
    if (fingerprint !== this.fingerprint) {
      throw new TokenDecryptionError(
        `this token was encrypted with another LDSYNC_ENCRYPTION_KEY (fingerprint ${fingerprint}); ` +
          `the current key's fingerprint is ${this.fingerprint}. Use the original key, or add the connection again`,
        'wrong_key',
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(this.#associatedData(fingerprint, context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenDecryptionError(
        'stored token failed authentication: it was altered, corrupted or copied from another connection; ' +
          'add the connection again',
        'tampered',
      );
    }
  }

  #associatedData(fingerprint: string, context: string): Buffer {
    return Buffer.from(`${FORMAT_VERSION}:${fingerprint}:${context}`, 'utf8');
  }
}
