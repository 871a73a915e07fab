// Polls a condition until it holds: tests wait for outcomes, never for fixed times.
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      // A query can race a workflow's first task; anything else that keeps failing surfaces at the deadline.
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
