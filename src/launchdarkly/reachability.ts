// Whether anything answers at a base URL at all, before a token is involved: `connections add` warns
// about a URL nothing listens on instead of storing it silently.
import { httpGet, TransportError } from './http';

/** null when the host answered (any status), else why it did not. */
export async function unreachableReason(baseUrl: string, timeoutMs = 5000): Promise<string | null> {
  try {
    await httpGet(new URL(`${baseUrl}/api/v2`), { headers: {}, timeoutMs });
    return null;
  } catch (err) {
    if (err instanceof TransportError) return err.message;
    throw err;
  }
}
