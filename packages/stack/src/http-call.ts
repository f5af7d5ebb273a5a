/** fetch() that reports "nothing listens" separately from "something answered wrongly". */
export async function httpCall(
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<{ status: number; body: string } | { refused: true; reason: string } | { error: string }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: (await res.text()).slice(0, 65536) };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    if (cause?.code === 'ECONNREFUSED' || cause?.code === 'ENOTFOUND' || cause?.code === 'EHOSTUNREACH') {
      return { refused: true, reason: cause.code };
    }
    return { error: (e as Error).message + (cause?.code ? ` (${cause.code})` : '') };
  }
}
